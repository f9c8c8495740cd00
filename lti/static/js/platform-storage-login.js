/*
 * LTI platform storage (lti-cs-oidc / lti-pm-s), login side: store the browser-binding secret in the
 * platform's storage frame (lti.put_data), then go to the platform's authorization endpoint with a GET.
 * If the frame does not answer, start the login again without platform storage (server-side state only).
 */
(function () {
  "use strict";
  var el = document.getElementById("lti-platform-storage");
  if (!el) {
    return;
  }
  var data = el.dataset;
  var finished = false;
  var messageId = "pacnum-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);

  function go(url) {
    if (!finished) {
      finished = true;
      window.location.replace(url);
    }
  }

  function storageFrame() {
    var owner = window.parent !== window ? window.parent : window.opener;
    if (!owner) {
      return null;
    }
    if (data.storageTarget === "_parent") {
      return owner;
    }
    try {
      return owner.frames[data.storageTarget] || null;
    } catch (error) {
      return null;
    }
  }

  window.addEventListener("message", function (event) {
    var reply = event.data;
    if (event.origin !== data.platformOrigin || !reply || typeof reply !== "object") {
      return;
    }
    if (reply.subject !== "lti.put_data.response" || reply.message_id !== messageId) {
      return;
    }
    go(reply.error ? data.retryUrl : data.authUrl);
  });

  var frame = storageFrame();
  if (!frame) {
    go(data.retryUrl);
    return;
  }
  try {
    frame.postMessage(
      { subject: "lti.put_data", message_id: messageId, key: "state_" + data.state, value: data.binding },
      data.platformOrigin
    );
  } catch (error) {
    go(data.retryUrl);
    return;
  }
  window.setTimeout(function () { go(data.retryUrl); }, 3000);
})();
