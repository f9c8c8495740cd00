/* Submits the forms marked data-autopost (the button stays for browsers without JavaScript). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autopost]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].submit();
  }
})();
