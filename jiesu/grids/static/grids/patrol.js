// Patrol page: tap the grid map to place the report, or use the device's location;
// while a patrol runs, the device's positions are sent as track points every 20 s.
(function () {
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function setLocation(lon, lat, how) {
    var lonEl = document.getElementById("id_lon"), latEl = document.getElementById("id_lat");
    if (!lonEl) return;
    lonEl.value = lon.toFixed(7); latEl.value = lat.toFixed(7);
    var t = document.getElementById("loc-text");
    if (t) t.textContent = how + " " + lon.toFixed(5) + ", " + lat.toFixed(5);
    var svg = document.getElementById("tapmap");
    if (svg) {
      var f = JSON.parse(svg.dataset.frame), m = svg.querySelector(".marker");
      m.setAttribute("cx", f.pad + (lon - f.west) * f.kx * f.scale);
      m.setAttribute("cy", f.pad + (f.north - lat) * f.scale);
    }
  }
  function init() {
    var svg = document.getElementById("tapmap");
    if (svg) {
      svg.addEventListener("click", function (ev) {
        var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
        var p = pt.matrixTransform(svg.getScreenCTM().inverse());
        var f = JSON.parse(svg.dataset.frame);
        var lon = f.west + (p.x - f.pad) / (f.kx * f.scale), lat = f.north - (p.y - f.pad) / f.scale;
        setLocation(lon, lat, svg.dataset.tapLabel || "map");
      });
    }
    var btn = document.getElementById("use-location");
    if (btn) {
      btn.addEventListener("click", function () {
        if (!navigator.geolocation) return;
        navigator.geolocation.getCurrentPosition(function (pos) {
          setLocation(pos.coords.longitude, pos.coords.latitude, "GPS");
        }, function () {
          var t = document.getElementById("loc-text"); if (t) t.textContent = "✗";
        }, {enableHighAccuracy: true, timeout: 10000});
      });
    }
    var cat = document.getElementById("id_category"), box = document.getElementById("self-box");
    function syncSelf() {
      if (!cat || !box) return;
      var opt = cat.options[cat.selectedIndex], ok = opt && opt.dataset.self === "1";
      box.classList.toggle("unavailable", !ok);
      document.getElementById("id_self_handled").disabled = !ok;
      if (!ok) document.getElementById("id_self_handled").checked = false;
    }
    if (cat) { cat.addEventListener("change", syncSelf); syncSelf(); }
    var patrol = document.getElementById("patrol-box");
    if (patrol && patrol.dataset.patrol && navigator.geolocation) {
      var buffer = [], url = patrol.dataset.pointsUrl, count = document.getElementById("track-count");
      // A batch the server refused outright (every position bad: a location or a clock far off) cannot be sent
      // again to any use, but the worker must know the track is not being recorded: said in #track-problem, with
      // how many positions were not recorded and why. A batch not answered (network, server error) is kept and
      // sent again; a patrol ended elsewhere stops the sending and says so.
      var problem = document.getElementById("track-problem"), notRecorded = 0, timer = null;
      function say(text) { if (problem) { problem.textContent = text; problem.hidden = false; } }
      function refused(n, message) {
        notRecorded += n;
        say(notRecorded + " " + problem.dataset.notRecorded + (message ? " — " + message : ""));
      }
      navigator.geolocation.watchPosition(function (pos) {
        buffer.push({lon: pos.coords.longitude, lat: pos.coords.latitude,
                     at: new Date(pos.timestamp).toISOString(), accuracy: pos.coords.accuracy});
      }, function () {}, {enableHighAccuracy: true, maximumAge: 5000});
      patrol.dataset.watching = "1";
      timer = setInterval(function () {
        if (!buffer.length) return;
        var batch = buffer.splice(0, buffer.length);
        fetch(url, {method: "POST", credentials: "same-origin",
                    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
                    body: JSON.stringify({points: batch})})
          .then(function (r) {
            return r.json().then(function (d) { return {status: r.status, d: d}; });
          })
          .then(function (a) {
            var d = a.d || {};
            if (a.status === 200) {
              if (count && d.recorded) count.textContent = (+count.textContent) + d.recorded;
              if (d.skipped && d.skipped.length) refused(d.skipped.length, d.skipped[0].message);
            } else if (a.status === 409) {
              clearInterval(timer); say(d.message || "");
            } else if (a.status === 400 || a.status === 422) {
              refused(batch.length, d.message);
            } else {
              throw new Error(String(a.status));
            }
          })
          .catch(function () { buffer = batch.concat(buffer); say(problem.dataset.retry); });
      }, 20000);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
