/* Dynamic registration done: tell the LMS (opener or parent) to close its registration dialog. */
(function () {
  "use strict";
  function close() {
    var target = window.opener || window.parent;
    if (target && target !== window) {
      target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  var button = document.getElementById("lti-registered-close");
  if (button) {
    button.addEventListener("click", close);
  }
  close();
})();
