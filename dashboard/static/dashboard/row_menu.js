// Row menus (<details class="row-menu">): one open at a time, closed by a click elsewhere.
// Escape already closes them (shell.js); without JavaScript they open and close by hand.
(function () {
  "use strict";

  function init() {
    var menus = document.querySelectorAll("details.row-menu");
    menus.forEach(function (menu) {
      menu.addEventListener("toggle", function () {
        if (!menu.open) {
          return;
        }
        menus.forEach(function (other) {
          if (other !== menu) {
            other.open = false;
          }
        });
      });
    });
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) {
        if (menu.open && !menu.contains(event.target)) {
          menu.open = false;
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
