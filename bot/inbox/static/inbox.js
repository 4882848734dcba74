/* MedSync inbox: keyboard shortcuts, the "?" overlay, the filter panel on wide screens, and
   what a live update needs (keep the chosen row, follow a signed-out session to the login).
   Every action still works without this file: each is a link or a form.

   Shortcuts (docs/INBOX.md): j / k next / previous item, Enter opens it, a approve,
   r reply, / search, ? this list, Esc closes it.
   The item page takes part through attributes:
     [data-shortcut="approve"]  the button "a" presses
     [data-shortcut="reply"]    the text box "r" focuses
     [data-shortcut="search"]   the search box "/" focuses
     a[rel="next"], a[rel="prev"]  where j / k go on a page without a list of items
     [data-decides]             disabled when a colleague's decision arrives (#item-live)  */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-list a.item-link"));
  }

  function choose(link) {
    rows().forEach(function (other) {
      var row = other.closest("tr");
      if (row) row.classList.toggle("chosen", other === link);
    });
    link.focus();
    link.scrollIntoView({ block: "nearest" });
  }

  function step(delta) {
    var links = rows();
    if (links.length) {
      var at = links.indexOf(document.activeElement);
      var next = at < 0 ? (delta > 0 ? 0 : links.length - 1) : at + delta;
      if (next >= 0 && next < links.length) choose(links[next]);
      return;
    }
    var go = document.querySelector(delta > 0 ? 'a[rel="next"]' : 'a[rel="prev"]');
    if (go) window.location.assign(go.href);
  }

  function overlay() {
    return document.getElementById("shortcuts");
  }

  function toggleOverlay() {
    var dialog = overlay();
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (typing(event.target)) return;
    var dialog = overlay();
    if (dialog && dialog.open && event.key !== "?") return;
    var target = null;
    switch (event.key) {
      case "j":
        step(1);
        break;
      case "k":
        step(-1);
        break;
      case "a":
        target = document.querySelector('[data-shortcut="approve"]:not([disabled])');
        if (target) target.click();
        break;
      case "r":
        target = document.querySelector('[data-shortcut="reply"]');
        if (target) target.focus();
        break;
      case "/":
        target = document.querySelector('[data-shortcut="search"]');
        if (target) {
          target.focus();
          target.select();
        }
        break;
      case "?":
        toggleOverlay();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  function openFiltersOnWideScreens() {
    var panel = document.querySelector("details[data-wide-open]");
    if (panel && window.matchMedia("(min-width: 901px)").matches) panel.open = true;
  }

  function colleagueDecided() {
    if (!document.querySelector("#item-live [data-decided]")) return;
    document.querySelectorAll("[data-decides]").forEach(function (control) {
      control.disabled = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    openFiltersOnWideScreens();
    var button = document.querySelector("[data-shortcuts-open]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", toggleOverlay);
    }
  });

  /* A live reload of the list keeps the row the keyboard was on. */
  var chosenId = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/login") !== -1) {
      event.detail.shouldSwap = false; // signed out meanwhile: show the sign-in page
      window.location.reload();
      return;
    }
    var active = document.activeElement;
    chosenId = active && active.dataset ? active.dataset.itemId || null : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    colleagueDecided();
    if (!chosenId) return;
    var again = document.querySelector('#queue-list a.item-link[data-item-id="' + chosenId + '"]');
    if (again) choose(again);
    chosenId = null;
  });
})();
