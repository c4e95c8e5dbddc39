/* The intake page's line under 地址 (tickets/intake.html, #address-place): where the locator places the address
   while the call-taker types it (GET /api/v1/dispatch/locate, 0–20 ms), or that it cannot, so that the caller can
   still be asked for the district or a landmark. The words come from the page (data-*, in its language); the
   place's names and the reason from the API. A street chosen in the picker is the ticket's place: then a missing
   place is not worth a word. With longitude and latitude filled in too, they are sent along: the API weighs the
   point against the address as intake will (locator.weigh_address), and the line says, instead of the names found
   in the address, the locator's reason: which one it takes and why, the words the intake event keeps; a point the
   API refuses (out of range, not a number) is said so, as 受理 would refuse it. */
(function () {
  "use strict";
  var line = document.getElementById("address-place");
  var address = document.getElementById("id_address");
  if (!line || !address || line.dataset.ready) { return; }
  line.dataset.ready = "1";
  var form = address.form, asked = 0, timer = null;
  var lon = document.getElementById("id_lon"), lat = document.getElementById("id_lat");
  var system = document.getElementById("id_coord_system");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return values[name]; });
  }

  function chosenStreet() {
    var input = form.querySelector("input[type=hidden][name=street]");
    return input && input.value;
  }

  function say(text, state) {
    line.textContent = text;
    line.dataset.state = state;
    line.hidden = !text;
  }

  function point() {
    if (!lon || !lat || !lon.value.trim() || !lat.value.trim()) { return ""; }
    return "&lon=" + encodeURIComponent(lon.value.trim()) + "&lat=" + encodeURIComponent(lat.value.trim()) +
      "&coord_system=" + encodeURIComponent(system ? system.value : "wgs84");
  }

  function placeWords(place, withPoint) {
    var names = [place.district, place.street, place.community, place.grid]
      .filter(function (unit) { return unit; }).map(function (unit) { return unit.name; });
    var words = fill(line.dataset.found, {place: names.join(" · ")});
    if (withPoint) { return fill(line.dataset.weighed, {place: words, reason: place.reason}); }
    if (place.matched && place.matched.length) {
      var quoted = place.matched.map(function (name) { return fill(line.dataset.name, {name: name}); });
      words += fill(line.dataset.matched, {names: quoted.join(line.dataset.sep)});
    }
    return words;
  }

  function show(place, withPoint) {
    if (place.unit) { say(placeWords(place, withPoint), "found"); return; }
    say(chosenStreet() ? "" : fill(line.dataset.notFound, {reason: place.reason}), "none");
  }

  function locate() {
    var text = address.value.trim();
    var mine = ++asked;
    if (!text) { say("", ""); return; }
    var withPoint = point();
    var url = line.dataset.url + "?address=" + encodeURIComponent(text) + withPoint;
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.ok) { return response.json(); }
        if (!withPoint || response.status >= 500) { return null; }
        // the point typed is refused (400/422, the field named): 受理 would refuse it too, say why
        return response.json().then(function (body) { return {refused: body.message}; });
      })
      .then(function (place) {
        if (!place || mine !== asked) { return; }
        if (place.refused !== undefined) {
          say(fill(line.dataset.pointRefused, {reason: place.refused}), "refused");
          return;
        }
        show(place, withPoint);
      })
      .catch(function () { /* the line stays as it was: the ticket is placed on 受理 all the same */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(locate, 400);
  }

  address.addEventListener("input", later);
  address.addEventListener("change", function () { clearTimeout(timer); locate(); });
  [lon, lat, system].forEach(function (input) {
    if (input) { input.addEventListener(input === system ? "change" : "input", later); }
  });
  form.addEventListener("jiesu:picked", function () { if (line.dataset.state === "none") { locate(); } });
  if (address.value.trim()) { locate(); }
}());
