/* The box 「已核实：越过负面清单派单」 (tickets/_confirm_negative.html) is shown after a refusal by the negative list
   for the units refused (its negative_units). It stays only while the form holds one of them: choosing other
   units hides and unticks it, choosing a refused unit again shows it. The server confirms only the units it
   refused either way (services.check_negative_list). */
(function () {
  "use strict";
  if (window.jiesuNegativeBox) { return; }
  window.jiesuNegativeBox = true;

  function values(form, selector) {
    return Array.prototype.map.call(form.querySelectorAll(selector), function (input) { return input.value; });
  }

  function holdsARefusedUnit(form) {
    var chosen = values(form, "input[type=hidden][name=lead_unit], input[type=hidden][name=co_units]");
    return values(form, "input[type=hidden][name=negative_units]").some(function (id) {
      return chosen.indexOf(id) >= 0;
    });
  }

  function update(form) {
    var box = form.querySelector(".confirm-negative");
    var holds = holdsARefusedUnit(form);
    box.style.display = holds ? "" : "none";
    box.setAttribute("aria-hidden", holds ? "false" : "true");
    if (!holds) { box.querySelector("input[name=confirm_negative]").checked = false; }
  }

  // Captured, so that the form is found before a picker's handler removes what was clicked (a chip's ×); read
  // once that handler has changed the form's units.
  function afterThePickers(e) {
    var form = e.target.closest ? e.target.closest("form") : null;
    if (form && form.querySelector(".confirm-negative")) { setTimeout(function () { update(form); }, 0); }
  }
  ["jiesu:picked", "click", "input"].forEach(function (type) {
    document.addEventListener(type, afterThePickers, true);
  });
})();
