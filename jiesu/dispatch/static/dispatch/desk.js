/* The dispatcher's desk: accept a suggestion with one key.
   1 / 2 / 3   choose suggestion #n of the current ticket (the one holding the focus, else the first)
   Enter       dispatch the chosen suggestion
   J / K       next / previous ticket
   Keys typed into a text field, a select or a picker are left alone. */
(function () {
  "use strict";
  var current = null;

  function desks() { return Array.prototype.slice.call(document.querySelectorAll("section[data-desk]")); }

  function setCurrent(desk, scroll) {
    desks().forEach(function (d) { d.classList.toggle("desk-current", d === desk); });
    current = desk;
    if (desk && scroll) { desk.scrollIntoView({block: "center"}); desk.focus({preventScroll: true}); }
  }

  function currentDesk() {
    var active = document.activeElement;
    var card = active && active.closest ? active.closest("article, .card, section[data-desk]") : null;
    var inCard = card && (card.matches("section[data-desk]") ? card : card.querySelector("section[data-desk]"));
    if (inCard) { return inCard; }
    if (current && document.body.contains(current)) { return current; }
    return desks()[0] || null;
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

  document.addEventListener("focusin", function (e) {
    var desk = e.target.closest && e.target.closest("section[data-desk]");
    if (desk) { setCurrent(desk, false); }
  });
  document.addEventListener("htmx:afterSwap", function () { if (!current || !document.body.contains(current)) { setCurrent(desks()[0] || null, false); } });
  document.addEventListener("DOMContentLoaded", function () { setCurrent(desks()[0] || null, false); });
}());
