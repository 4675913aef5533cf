// The dashboard shell's small behaviours. Every control is a plain GET form that works
// without JavaScript; this file only saves the clicks on "Show" and "Apply".
(function () {
  "use strict";

  function submit(form) {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  // A GET form of the shell leaves its empty fields out of the URL ("company=" means the
  // same as no company, and shared links stay short).
  function cleanGet(form) {
    form.addEventListener("submit", function (event) {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (value !== "") {
          params.append(name, value);
        }
      });
      event.preventDefault();
      var query = params.toString();
      window.location.assign((form.getAttribute("action") || window.location.pathname) + (query ? "?" + query : ""));
    });
  }

  // Forms marked data-autosubmit (the company switcher) submit as soon as a select changes.
  function autosubmit(form) {
    form.querySelectorAll("[data-autosubmit-hide]").forEach(function (button) {
      button.hidden = true;
    });
    window.addEventListener("pageshow", function () {
      form.reset();
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches("select")) {
        submit(form);
      }
    });
  }

  // The date-range control: a preset or the comparison switch applies at once; "Custom"
  // reveals the two date inputs, applied with the button once both are set.
  function dateRange(form) {
    var select = form.querySelector("select[name=date_range]");
    var custom = form.querySelector(".custom-dates");
    var compare = form.querySelector("input[name=compare]");
    var apply = form.querySelector("[data-apply]");
    if (!select || !custom || !apply) {
      return;
    }

    function showCustom(show) {
      custom.hidden = !show;
      custom.disabled = !show;
      apply.hidden = !show;
    }

    showCustom(select.value === "custom");
    // Back and forward show the page's own state, not what was picked before leaving it
    // (the browser restores changed controls, or the whole page from its cache).
    window.addEventListener("pageshow", function () {
      form.reset();
      showCustom(select.value === "custom");
    });
    select.addEventListener("change", function () {
      if (select.value === "custom") {
        showCustom(true);
        var start = custom.querySelector("input");
        if (start) {
          start.focus();
        }
      } else {
        showCustom(false);
        submit(form);
      }
    });
    if (compare) {
      compare.addEventListener("change", function () {
        submit(form);
      });
    }
  }

  // A <details> menu closes on Escape (focus back on its summary) and on a click elsewhere.
  function menus() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      document.querySelectorAll("details[open]").forEach(function (details) {
        details.open = false;
        var summary = details.querySelector("summary");
        if (summary && details.contains(document.activeElement)) {
          summary.focus();
        }
      });
    });
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.user-menu[open]").forEach(function (details) {
        if (!details.contains(event.target)) {
          details.open = false;
        }
      });
    });
  }

  function init() {
    document.querySelectorAll("form[data-autosubmit], form[data-date-range]").forEach(cleanGet);
    document.querySelectorAll("form[data-autosubmit]").forEach(autosubmit);
    document.querySelectorAll("form[data-date-range]").forEach(dateRange);
    menus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
