// Copy buttons: <button data-copy="id-of-the-element-to-copy">. Hidden without JavaScript
// (the code can still be selected by hand); the result is announced in #copy-status.
(function () {
  "use strict";

  function announce(text) {
    var status = document.getElementById("copy-status");
    if (status) {
      status.textContent = text;
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    document.body.removeChild(area);
    return done;
  }

  function init() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) {
        return;
      }
      button.hidden = false;
      var label = button.querySelector("span");
      button.addEventListener("click", function () {
        var text = source.textContent.trim();
        function copied() {
          if (label) {
            label.textContent = "Copied";
          }
          announce("The snippet is copied: paste it into your site.");
          window.setTimeout(function () {
            if (label) {
              label.textContent = "Copy";
            }
          }, 2500);
        }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(copied, function () {
            if (fallbackCopy(text)) {
              copied();
            } else {
              announce("Copying was refused: select the code and copy it.");
            }
          });
        } else if (fallbackCopy(text)) {
          copied();
        } else {
          announce("Copying was refused: select the code and copy it.");
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
