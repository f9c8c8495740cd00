// Copy buttons of the admin console: <button data-copy-target="input-id">. The result is announced in
// the #copy-status live region (screen readers) and shown on the button for a moment.
(function () {
  "use strict";

  function announce(text) {
    var status = document.getElementById("copy-status");
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  function messages() {
    var status = document.getElementById("copy-status");
    return {
      copied: (status && status.dataset.copied) || "Copied.",
      failed: (status && status.dataset.failed) || "Copy failed.",
    };
  }

  function fallbackCopy(input) {
    input.focus();
    input.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  function copy(button) {
    var input = document.getElementById(button.dataset.copyTarget);
    if (!input) {
      return;
    }
    var text = messages();
    var done = function () {
      announce(text.copied);
      button.classList.add("bridge-copied");
      window.setTimeout(function () { button.classList.remove("bridge-copied"); }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        if (fallbackCopy(input)) { done(); } else { announce(text.failed); }
      });
    } else if (fallbackCopy(input)) {
      done();
    } else {
      announce(text.failed);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (button) {
      copy(button);
    }
  });
})();
