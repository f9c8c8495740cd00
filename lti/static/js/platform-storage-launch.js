/*
 * LTI platform storage, launch side: read back the browser-binding secret stored at login
 * (lti.get_data) and send it with the launch id; the server compares it with what it remembered.
 */
(function () {
  "use strict";
  var form = document.getElementById("lti-storage-check");
  if (!form) {
    return;
  }
  var data = form.dataset;
  var sent = false;
  var messageId = "pacnum-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);

  function send(value) {
    if (!sent) {
      sent = true;
      form.elements.binding.value = value || "";
      form.submit();
    }
  }

  window.addEventListener("message", function (event) {
    var reply = event.data;
    if (event.origin !== data.platformOrigin || !reply || typeof reply !== "object") {
      return;
    }
    if (reply.subject !== "lti.get_data.response" || reply.message_id !== messageId) {
      return;
    }
    send(reply.error ? "" : reply.value);
  });

  var owner = window.parent !== window ? window.parent : window.opener;
  var frame = null;
  if (owner) {
    try {
      frame = data.storageTarget === "_parent" ? owner : owner.frames[data.storageTarget];
    } catch (error) {
      frame = null;
    }
  }
  if (!frame) {
    send("");
    return;
  }
  frame.postMessage(
    { subject: "lti.get_data", message_id: messageId, key: "state_" + data.state },
    data.platformOrigin
  );
  window.setTimeout(function () { send(""); }, 3000);
})();
