// The call log's behaviours. Without JavaScript the filters are a plain GET form and each play
// button is a link to the recording; with it, recordings play in the bar at the bottom of the
// page, the tags filter autocompletes, and empty filters stay out of the URL.
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

  // The filter form leaves its empty fields out of the URL, so a shared link stays short.
  function cleanFilters(form) {
    form.addEventListener("submit", function (event) {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (String(value).trim() !== "") {
          params.append(name, value);
        }
      });
      event.preventDefault();
      var query = params.toString();
      window.location.assign(window.location.pathname + (query ? "?" + query : ""));
    });
  }

  function tagFilter(select) {
    if (typeof TomSelect === "undefined") {
      return;
    }
    select.removeAttribute("size");
    keepName(select);
    new TomSelect(select, {
      plugins: ["remove_button"],
      create: false,
      maxOptions: 500,
      placeholder: select.options.length ? "Any tag" : "No tags yet",
    });
  }

  // One player for the page: a play button starts its call's recording there, and pauses it
  // when pressed again.
  function player(bar) {
    var audio = bar.querySelector("[data-player-audio]");
    var title = bar.querySelector("[data-player-title]");
    var current = null;

    function show(link, playing) {
      if (!link) {
        return;
      }
      link.setAttribute("aria-pressed", playing ? "true" : "false");
      var icon = link.querySelector(".bi");
      if (icon) {
        icon.className = "bi " + (playing ? "bi-pause-fill" : "bi-play-fill");
      }
    }

    function toggle(link) {
      if (current === link) {
        if (audio.paused) {
          audio.play();
        } else {
          audio.pause();
        }
        return;
      }
      show(current, false);
      current = link;
      audio.src = link.getAttribute("href");
      title.textContent = link.getAttribute("data-title") || "";
      bar.hidden = false;
      audio.play();
    }

    document.querySelectorAll("[data-play]").forEach(function (link) {
      link.setAttribute("role", "button");
      link.setAttribute("aria-pressed", "false");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        toggle(link);
      });
      link.addEventListener("keydown", function (event) {
        if (event.key === " ") {
          event.preventDefault();
          toggle(link);
        }
      });
    });
    audio.addEventListener("play", function () {
      show(current, true);
    });
    audio.addEventListener("pause", function () {
      show(current, false);
    });
    audio.addEventListener("ended", function () {
      show(current, false);
    });
    bar.querySelector("[data-player-close]").addEventListener("click", function () {
      audio.pause();
      audio.removeAttribute("src");
      audio.load();
      show(current, false);
      var last = current;
      current = null;
      bar.hidden = true;
      if (last) {
        last.focus();
      }
    });
  }

  function init() {
    document.querySelectorAll("form[data-call-filters]").forEach(cleanFilters);
    document.querySelectorAll("select[data-tag-filter]").forEach(tagFilter);
    var bar = document.querySelector("[data-player]");
    if (bar) {
      player(bar);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
