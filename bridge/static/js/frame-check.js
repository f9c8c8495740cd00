/*
 * Inside an LMS iframe, tell the agent when the browser blocks our cookies: the pages keep working (the
 * session travels in the links), and the "open in a new window" link is there if something goes wrong.
 */
(function () {
  "use strict";
  var notice = document.getElementById("cookie-notice");
  if (!notice || window.self === window.top) {
    return;
  }
  var name = "pacnum_cookie_check";
  var attributes = window.location.protocol === "https:" ? "; SameSite=None; Secure; Partitioned" : "; SameSite=Lax";
  var blocked = !navigator.cookieEnabled;
  if (!blocked) {
    try {
      document.cookie = name + "=1; path=/" + attributes;
      blocked = document.cookie.indexOf(name + "=1") === -1;
      document.cookie = name + "=; path=/; max-age=0" + attributes;
    } catch (error) {
      blocked = true;
    }
  }
  if (blocked) {
    notice.hidden = false;
  }
})();
