/* The dispatcher's desk: accept a suggestion with one key.
   1 / 2 / 3   choose suggestion #n of the current ticket (the one holding the focus, else the first)
   Enter       dispatch the chosen suggestion; one shown under the floor (data-low) is not: the form is offered
   J / K       next / previous ticket
   Keys typed into a text field, a select or a picker are left alone.
   After a ticket is dispatched the page reloads on the ticket that followed it (or on the same one when the
   dispatch was refused), not on the first. */
(function () {
  "use strict";
  var currentId = null;  // the ticket id of the current desk: HTMX replaces a lazy desk by its panel
  var PLACE = "jiesu.desk.place";

  function desks() { return Array.prototype.slice.call(document.querySelectorAll("section[data-desk]")); }

  function deskOf(id) { return id ? document.querySelector("section[data-desk='" + id + "']") : null; }

  function mark() {
    desks().forEach(function (d) { d.classList.toggle("desk-current", d.getAttribute("data-desk") === currentId); });
  }

  function setCurrent(desk, scroll) {
    currentId = desk ? desk.getAttribute("data-desk") : null;
    mark();
    if (desk && scroll) { desk.scrollIntoView({block: "center"}); desk.focus({preventScroll: true}); }
  }

  function currentDesk() {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest("article, .card, section[data-desk]") : null;
    var inCard = card && (card.matches("section[data-desk]") ? card : card.querySelector("section[data-desk]"));
    return inCard || deskOf(currentId) || desks()[0] || null;
  }

  function typing(el) {
    if (!el || !el.tagName) { return false; }
    if (el.isContentEditable) { return true; }
    var tag = el.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select") { return true; }
    return tag === "input" && ["radio", "checkbox", "button", "submit"].indexOf((el.type || "").toLowerCase()) < 0;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    var desk = currentDesk();
    if (!desk) { return; }
    if (e.key === "1" || e.key === "2" || e.key === "3") {
      var radio = desk.querySelector("input[name=rank][value='" + e.key + "']:not(:disabled)");
      if (!radio) { return; }
      e.preventDefault();
      radio.checked = true;
      radio.focus();
      setCurrent(desk, false);
    } else if (e.key === "Enter") {
      var chosen = desk.querySelector("input[name=rank]:checked");
      var onDesk = desk.contains(e.target) || e.target === document.body;
      if (!chosen || !onDesk || (e.target.tagName || "").toLowerCase() === "button") { return; }
      e.preventDefault();
      if (chosen.closest("[data-low]")) { askForTheForm(desk); return; }
      var form = chosen.form;
      var confirm = form.querySelector("input[name=confirm]");
      if (confirm && !confirm.checked) {  // an emergency or an undecided merge: one key does not dispatch it
        confirm.focus();
        confirm.closest(".desk-hold").classList.add("desk-hold-asked");
        return;
      }
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    } else if (e.key === "j" || e.key === "k" || e.key === "J" || e.key === "K") {
      var all = desks();
      var i = all.indexOf(desk) + (e.key.toLowerCase() === "j" ? 1 : -1);
      if (i >= 0 && i < all.length) { e.preventDefault(); setCurrent(all[i], true); }
    }
  });

  function askForTheForm(desk) {
    var note = desk.querySelector("[data-low-note]");
    var card = desk.closest("article");
    var field = card && card.querySelector(".dispatch-form input:not([type=hidden])");
    if (note) { note.hidden = false; }
    if (field) { field.focus(); } else if (note) { note.focus(); }
  }

  /* The place to come back to after a dispatch from this desk: the ticket itself (still here if refused), else
     the one after it, else the one before. */
  function rememberPlace(desk) {
    var all = desks(), i = all.indexOf(desk);
    var ids = [all[i], all[i + 1], all[i - 1]].filter(Boolean).map(function (d) { return d.getAttribute("data-desk"); });
    try { sessionStorage.setItem(PLACE, JSON.stringify({page: location.pathname + location.search, ids: ids})); } catch (err) { /* private mode */ }
  }

  function placeKept() {
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(PLACE) || "null"); sessionStorage.removeItem(PLACE); } catch (err) { return null; }
    if (!kept || kept.page !== location.pathname + location.search) { return null; }
    for (var i = 0; i < kept.ids.length; i++) {
      var desk = document.querySelector("section[data-desk='" + kept.ids[i] + "']");
      if (desk) { return desk; }
    }
    return null;
  }

  document.addEventListener("submit", function (e) {
    var card = e.target.closest && e.target.closest("article");
    var desk = card ? card.querySelector("section[data-desk]") : (e.target.closest && e.target.closest("section[data-desk]"));
    if (desk) { rememberPlace(desk); }
  });

  document.addEventListener("focusin", function (e) {
    var desk = e.target.closest && e.target.closest("section[data-desk]");
    if (desk) { setCurrent(desk, false); }
  });
  document.addEventListener("htmx:load", function () {  // a lazy desk became its panel: it stays the current one
    var desk = deskOf(currentId);
    if (!desk) { setCurrent(desks()[0] || null, false); return; }
    mark();
    if (!document.activeElement || document.activeElement === document.body) { desk.focus({preventScroll: true}); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var kept = placeKept();
    setCurrent(kept || desks()[0] || null, !!kept);
  });
}());
