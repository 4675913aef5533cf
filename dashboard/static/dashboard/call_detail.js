// A call's page. Every action is a plain form that works without JavaScript; htmx (its hx-*
// attributes) sends them without leaving the page. Here the tags become an autocompleting
// editor that saves as soon as a tag is added or removed.
(function () {
  "use strict";

  // Tom Select gives the select's <label> to its own input; the select it keeps (hidden, for
  // the form) still needs a name for assistive technology.
  function keepName(select) {
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    if (label) {
      select.setAttribute("aria-label", label.textContent.trim());
    }
  }

  var refocusTags = false;

  function tagEditor(select) {
    if (typeof TomSelect === "undefined" || select.tomselect) {
      return;
    }
    var form = select.closest("form");
    form.querySelectorAll("[data-no-js], [data-save-tags]").forEach(function (element) {
      element.hidden = true;
    });
    select.removeAttribute("size");
    keepName(select);
    var editor = new TomSelect(select, {
      plugins: ["remove_button"],
      create: true,
      createOnBlur: false,
      persist: false,
      maxOptions: 500,
      placeholder: "Add a tag…",
      onChange: function () {
        refocusTags = editor.isFocused;
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
      },
    });
    if (refocusTags) {
      refocusTags = false;
      editor.focus();
    }
  }

  function init(root) {
    root.querySelectorAll("select[data-tag-editor]").forEach(tagEditor);
  }

  function start() {
    if (typeof htmx !== "undefined") {
      // Runs for the page and again for every panel htmx swaps in.
      htmx.onLoad(init);
    } else {
      init(document);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
