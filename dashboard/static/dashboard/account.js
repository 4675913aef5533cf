// The account pages' small behaviours. Every form works without JavaScript; this file
// copies keys to the clipboard and hides company access for administrators (who reach all).
(function () {
  "use strict";

  function copyButton(button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) {
      button.hidden = true;
      return;
    }
    var label = button.innerHTML;
    button.addEventListener("click", function () {
      var text = "value" in target ? target.value : target.textContent;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        window.setTimeout(function () {
          button.innerHTML = label;
        }, 2000);
      });
      if (target.select) {
        target.select();
      }
    });
  }

  function companiesForRole(block) {
    var form = block.closest("form");
    if (!form) {
      return;
    }
    function sync() {
      var role = form.querySelector("input[name=role]:checked");
      block.hidden = Boolean(role && role.value === "admin");
    }
    form.addEventListener("change", function (event) {
      if (event.target.name === "role") {
        sync();
      }
    });
    sync();
  }

  function init() {
    document.querySelectorAll("[data-copy]").forEach(copyButton);
    document.querySelectorAll("[data-companies-for-role]").forEach(companiesForRole);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
