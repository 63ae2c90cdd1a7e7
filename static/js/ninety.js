/* Keyboard and screen-reader care around htmx updates, and the dropdown menus.
   A file of our own (no inline script), so the Content Security Policy stays script-src 'self'.
   Everything here is an enhancement: without it every page still works. */
(function () {
  "use strict";

  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), " +
    "select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

  /* 1. Announce. A live region that htmx replaces is a new element, and screen readers do not
     reliably read a live region that arrives with its text already in it. So swapped content
     that should be read out carries data-announce (its value, or else its text), and the words
     go into the one live region that never leaves the page (#live-status, in base.html).
     Emptied first, so the same words twice are read twice. */
  var pending = null;

  function announce(text) {
    var live = document.getElementById("live-status");
    text = (text || "").replace(/\s+/g, " ").trim();
    if (!live || !text) return;
    window.clearTimeout(pending);
    live.textContent = "";
    pending = window.setTimeout(function () { live.textContent = text; }, 100);
  }

  /* 2. Keep focus. htmx itself puts focus back on an element with the same id in the new
     content (tick buttons, move buttons and sort links have stable ids for this). Otherwise a
     swap that removes the focused element drops focus to <body>, and a keyboard user starts
     again from the top of the page. So remember the ids from the focused element up to the
     swapped region, and afterwards focus the nearest of them still on the page: its
     [data-focus-after-swap] control, else its first visible control, else the region itself. */
  var returnTo = null;

  function visible(element) {
    return element.getClientRects().length > 0;
  }

  function controlIn(place) {
    if (place.matches(FOCUSABLE)) return visible(place) ? place : null;
    if (place.disabled) return null;
    var preferred = place.querySelector("[data-focus-after-swap]");
    if (preferred && visible(preferred)) return preferred;
    var controls = place.querySelectorAll(FOCUSABLE);
    for (var i = 0; i < controls.length; i++) {
      if (visible(controls[i])) return controls[i];
    }
    place.setAttribute("tabindex", "-1");
    return place;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var element = document.activeElement;
    returnTo = null;
    if (!event.detail.shouldSwap || !target || !element || element === document.body) return;
    if (!target.contains(element)) return;
    returnTo = [];
    for (; element && element !== target.parentNode; element = element.parentNode) {
      if (element.id) returnTo.push(element.id);
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var content = event.target;
    var message = content.matches("[data-announce]") ? content : content.querySelector("[data-announce]");
    if (message) announce(message.getAttribute("data-announce") || message.textContent);

    var ids = returnTo;
    returnTo = null;
    var active = document.activeElement;
    if (!ids || (active && active !== document.body && document.contains(active))) return;
    for (var i = 0; i < ids.length; i++) {
      var place = document.getElementById(ids[i]);
      var control = place && controlIn(place);
      if (control) {
        control.focus();
        return;
      }
    }
  });

  /* 3. Dropdown menus (Pico's <details class="dropdown">): Escape closes one and returns to its
     button, and tabbing out of one closes it, so an open menu never covers the page. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !document.activeElement) return;
    var menu = document.activeElement.closest("details.dropdown[open]");
    if (!menu) return;
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  });

  document.addEventListener("focusout", function (event) {
    var menu = event.target.closest && event.target.closest("details.dropdown[open]");
    if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) {
      menu.removeAttribute("open");
    }
  });

  /* 4. Evidence fields. A deliverable row's "Tick with evidence or a note" holds only a link to
     a page with the fields (pilots/evidence_form.html): sixty rows do not each carry a copy.
     Opened with scripts on, the row gets the fields from the page's one
     <template id="evidence-fields">, tied to the row's tick form (data-form) by their form
     attribute, so the row's tick box and the fields' own button send them alike.
     "toggle" does not bubble; a listener in the capture phase still hears it. */
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.open || !details.matches("details.evidence-form[data-form]")) return;
    var link = details.querySelector("[data-evidence-page]");
    var template = document.getElementById("evidence-fields");
    if (!link || !template) return;
    var fields = template.content.cloneNode(true);
    var controls = fields.querySelectorAll("input, textarea, button");
    for (var i = 0; i < controls.length; i++) {
      controls[i].setAttribute("form", details.getAttribute("data-form"));
    }
    link.replaceWith(fields);
  }, true);
})();
