/* Jiesu pages: keyboard shortcuts and the search pickers. No framework; HTMX does the requests. */
(function () {
  "use strict";

  // Ctrl+Enter (⌘+Enter) submits the form the cursor is in.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      var form = e.target.closest && e.target.closest("form");
      if (form) {
        e.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    }
  });

  // In forms marked .enter-moves, Enter in a one-line field goes to the next field instead of submitting.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key !== "Enter" || e.ctrlKey || e.metaKey || e.shiftKey || !t.closest) { return; }
    if (t.tagName !== "INPUT" || t.classList.contains("picker-q")) { return; }
    if (["checkbox", "radio", "file", "submit", "button"].indexOf(t.type) >= 0) { return; }
    var form = t.closest("form.enter-moves");
    if (!form) { return; }
    e.preventDefault();
    var fields = Array.prototype.slice.call(form.querySelectorAll(
      "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button[type=submit]"));
    var i = fields.indexOf(t);
    if (i >= 0 && i < fields.length - 1) { fields[i + 1].focus(); }
  });

  // ── pickers ───────────────────────────────────────────────────────────
  // <div class="picker" data-multiple="0|1" data-name="field">
  //   <input type="hidden" name="field">            (single)
  //   <span class="chips"> <span class="chip"><input type=hidden name=field value=..>…</span> </span> (multiple)
  //   <input class="picker-q" hx-get=… hx-target="next .picker-results">
  //   <div class="picker-results"></div>
  function pickerOf(el) { return el.closest(".picker"); }

  function focusNext(from) {
    var all = Array.prototype.slice.call(document.querySelectorAll(
      "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])"));
    var picker = pickerOf(from);
    var i = all.indexOf(from);
    for (var j = i + 1; j < all.length; j++) {
      if (!picker.contains(all[j])) { all[j].focus(); return; }
    }
  }

  function choose(option) {
    var picker = pickerOf(option);
    var q = picker.querySelector(".picker-q");
    var value = option.getAttribute("data-value");
    var label = option.getAttribute("data-label");
    if (picker.getAttribute("data-multiple") === "1") {
      var chips = picker.querySelector(".chips");
      var name = picker.getAttribute("data-name");
      if (!chips.querySelector('input[value="' + CSS.escape(value) + '"]')) {
        var chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = label + " ";
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = name; hidden.value = value;
        var remove = document.createElement("button");
        remove.type = "button"; remove.className = "chip-x"; remove.textContent = "×";
        remove.setAttribute("aria-label", (picker.getAttribute("data-remove-label") || "×") + " " + label);
        chip.appendChild(hidden); chip.appendChild(remove);
        chips.appendChild(chip);
      }
      q.value = "";
    } else {
      picker.querySelector("input[type=hidden]").value = value;
      q.value = label;
      picker.classList.add("picked");
    }
    picker.querySelector(".picker-results").innerHTML = "";
    var ev = new CustomEvent("jiesu:picked", {bubbles: true, detail: {value: value, label: label,
      extra: option.dataset}});
    picker.dispatchEvent(ev);
    focusNext(q);
  }

  // The query the shown results answer (the server echoes it), so Enter never takes a stale match.
  function resultsFor(box) {
    var list = box.querySelector("[data-q]");
    return list ? list.getAttribute("data-q") : null;
  }

  document.addEventListener("htmx:afterSwap", function (e) {
    var box = e.detail.target;
    if (!box.classList || !box.classList.contains("picker-results")) { return; }
    var picker = pickerOf(box);
    var q = picker.querySelector(".picker-q");
    if (picker.getAttribute("data-pick-first") === "1" && resultsFor(box) === q.value.trim()) {
      picker.removeAttribute("data-pick-first");
      var first = box.querySelector(".pick-opt");
      if (first) { choose(first); }
    }
  });

  document.addEventListener("click", function (e) {
    var option = e.target.closest && e.target.closest(".pick-opt");
    if (option) { e.preventDefault(); choose(option); return; }
    var x = e.target.closest && e.target.closest(".chip-x");
    if (x) { e.preventDefault(); x.parentNode.remove(); return; }
    // a click elsewhere closes open result lists
    document.querySelectorAll(".picker-results").forEach(function (box) {
      if (!box.parentNode.contains(e.target)) { box.innerHTML = ""; }
    });
  });

  document.addEventListener("input", function (e) {
    if (!e.target.classList || !e.target.classList.contains("picker-q")) { return; }
    var picker = pickerOf(e.target);
    if (picker.getAttribute("data-multiple") !== "1") {
      picker.querySelector("input[type=hidden]").value = "";  // typed over the choice: nothing chosen
      picker.classList.remove("picked");
    }
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (!t.classList) { return; }
    if (t.classList.contains("picker-q")) {
      var box = pickerOf(t).querySelector(".picker-results");
      var first = box.querySelector(".pick-opt");
      var fresh = resultsFor(box) === t.value.trim();
      if (e.key === "ArrowDown" && first && fresh) { e.preventDefault(); first.focus(); }
      else if (e.key === "Enter" && !(e.ctrlKey || e.metaKey)) {
        e.preventDefault();  // Enter in a picker picks, it never submits the form
        if (first && fresh) { choose(first); }
        else if (t.value.trim()) { pickerOf(t).setAttribute("data-pick-first", "1"); }  // when the results come
      } else if (e.key === "Escape") { box.innerHTML = ""; }
    } else if (t.classList.contains("pick-opt")) {
      var opts = Array.prototype.slice.call(pickerOf(t).querySelectorAll(".pick-opt"));
      var i = opts.indexOf(t);
      if (e.key === "ArrowDown" && i < opts.length - 1) { e.preventDefault(); opts[i + 1].focus(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? opts[i - 1] : pickerOf(t).querySelector(".picker-q")).focus(); }
      else if (e.key === "Escape") { var q = pickerOf(t).querySelector(".picker-q"); q.focus(); pickerOf(t).querySelector(".picker-results").innerHTML = ""; }
    }
  });

  // The category picker fills the request type when the call-taker has not chosen one.
  document.addEventListener("jiesu:picked", function (e) {
    var picker = e.target;
    var target = picker.getAttribute("data-fills");
    var type = e.detail.extra && e.detail.extra.requestType;
    if (target && type) {
      var select = document.getElementById(target);
      var hint = select && select.parentNode.querySelector(".type-hint");
      if (hint) { hint.textContent = (hint.getAttribute("data-prefix") || "") + (e.detail.extra.requestTypeLabel || ""); }
    }
  });

  // A refused HTMX request (显示号码 without the right; a lapsed login or an expired page while the duplicate
  // panel or the reply-quality check asks) says why: one note per element, gone once a request of it succeeds.
  // The note never moves a control of the element's form: it goes below the form's submit row (its last submit
  // button, or the .form-actions holding it), since a check sent when a field loses focus can be refused between
  // the press and the release of that button. An element outside a form has it right after itself.
  var refusals = new WeakMap();
  function refusalPlace(elt) {
    var form = elt.closest("form");
    var submits = form ? form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]") : [];
    var last = submits[submits.length - 1];
    return last ? last.closest(".form-actions") || last : elt;
  }
  document.addEventListener("htmx:responseError", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr;
    if (!elt || !elt.parentNode) { return; }
    var note = refusals.get(elt);
    if (!note || !note.isConnected) {
      note = document.createElement("p");
      note.className = "field-error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-refusal", "");
      var place = refusalPlace(elt);
      place.parentNode.insertBefore(note, place.nextSibling);
      refusals.set(elt, note);
    }
    note.textContent = (xhr && xhr.status < 500 && xhr.responseText && xhr.responseText.length < 300)
      ? xhr.responseText : (xhr ? xhr.status + " " + xhr.statusText : "error");
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var note = e.detail.successful && e.detail.elt ? refusals.get(e.detail.elt) : null;
    if (note) { note.remove(); refusals.delete(e.detail.elt); }
  });

  // Anonymous requests carry no contact: grey the name and phone out.
  function syncAnonymous() {
    var box = document.getElementById("id_anonymous");
    if (!box) { return; }
    ["id_citizen_name", "id_citizen_phone"].forEach(function (id) {
      var f = document.getElementById(id);
      if (f) { f.disabled = box.checked; }
    });
  }
  document.addEventListener("change", function (e) { if (e.target.id === "id_anonymous") { syncAnonymous(); } });
  document.addEventListener("DOMContentLoaded", function () {
    syncAnonymous();
    document.querySelectorAll("input[name=reached][value='0']:checked").forEach(function (r) {
      r.closest("form").classList.add("not-reached");
    });
  });

  // The callback form: resolved / satisfied only matter when the citizen was reached.
  document.addEventListener("change", function (e) {
    if (e.target.name !== "reached") { return; }
    var form = e.target.closest("form");
    form.classList.toggle("not-reached", e.target.value === "0" && e.target.checked);
  });

  // ── drafts ────────────────────────────────────────────────────────────
  // A form marked data-draft="name" keeps what is typed into it in this tab's sessionStorage, per user, so
  // an expired security token, a lapsed login, a language switch or a reload loses nothing. The server marks
  // a form it shows empty with data-draft-restore (a form it refills itself after a refusal is not
  // touched); once the form's action is done, its message names the draft (data-tags "draft:name"), which
  // ends it. Logging out (in any tab, or in the admin) ends every draft: the logout sets a new mark in the
  // jiesu_logout cookie and a draft typed under an earlier mark is dropped by every tab within a second, when it
  // next shows a page or is looked at again. Another user's drafts are removed on the first page a user sees logged in (the
  // login page after a lapsed login keeps them for the same user). A ticket's page (data-draft-scope) drops
  // the drafts of its forms that no longer apply. Chosen files are not kept.
  var DRAFT = "jiesu-draft:";
  var LOGOUT_MARK = /(?:^|;\s*)jiesu_logout=([^;]*)/;
  var LOGOUT_CHECK_MS = 1000;
  var body = document.body;
  var draftUser = (body && body.getAttribute("data-user")) || "";

  function drafts() { try { return window.sessionStorage; } catch (err) { return null; } }
  function logoutMark() { var m = LOGOUT_MARK.exec(document.cookie); return m ? m[1] : ""; }
  var pageMark = logoutMark();  // the session this page was shown in

  // A logged-in page whose session was ended by a logout (another tab's, the admin's) shows nothing more of
  // what it holds: its drafts go and it is asked for again (the login page, or afresh for a new login).
  function loggedOutMeanwhile() {
    if (!draftUser || logoutMark() === pageMark) { return false; }
    dropLoggedOutDrafts();
    window.location.reload();
    return true;
  }
  function draftKey(form) { return DRAFT + draftUser + ":" + form.getAttribute("data-draft"); }

  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (f) {
      return f.name && f.name !== "csrfmiddlewaretoken" && f.name !== "next" &&
        ["file", "submit", "button", "reset"].indexOf(f.type) < 0;
    });
  }

  function ticks(f) { return f.type === "checkbox" || f.type === "radio"; }

  function saveDraft(form) {
    var store = drafts();
    if (!store || loggedOutMeanwhile()) { return; }
    var fields = draftFields(form).map(function (f) {
      return ticks(f) ? {n: f.name, v: f.value, c: f.checked} : {n: f.name, v: f.value};
    });
    var labels = {};
    form.querySelectorAll(".picker[data-multiple='0']").forEach(function (p) {
      labels[p.getAttribute("data-name")] = p.querySelector(".picker-q").value;
    });
    var draft = {fields: fields, labels: labels, mark: logoutMark()};
    try { store.setItem(draftKey(form), JSON.stringify(draft)); } catch (err) { /* full */ }
  }

  function fillDraft(form, draft) {
    var left = draft.fields.slice();
    draftFields(form).forEach(function (f) {
      for (var i = 0; i < left.length; i++) {
        var d = left[i];
        if (d.n === f.name && (!ticks(f) || d.v === f.value)) {
          if (ticks(f)) { f.checked = !!d.c; } else { f.value = d.v; }
          left.splice(i, 1);
          return;
        }
      }
    });
    left.forEach(function (d) {  // a choice in a part of the form still to be loaded (the duplicate panel's)
      var later = form.querySelector("[data-draft-later~='" + CSS.escape(d.n) + "']");
      if (!later || d.c === false) { return; }
      var kept = document.createElement("input");
      kept.type = "hidden";
      kept.name = d.n;
      kept.value = d.v;
      later.appendChild(kept);
    });
    Object.keys(draft.labels || {}).forEach(function (name) {
      var p = form.querySelector(".picker[data-name='" + CSS.escape(name) + "']");
      if (!p) { return; }
      p.querySelector(".picker-q").value = draft.labels[name];
      p.classList.toggle("picked", !!p.querySelector("input[type=hidden]").value);
    });
  }

  function sayRestored(form) {
    var note = document.createElement("p");
    note.className = "draft-note";
    note.setAttribute("role", "status");
    note.textContent = (form.getAttribute("data-draft-note") || body.getAttribute("data-draft-note") || "") + " ";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "linkbtn";
    discard.textContent = body.getAttribute("data-draft-discard") || "×";
    discard.addEventListener("click", function () {
      var store = drafts();
      if (store) { store.removeItem(draftKey(form)); }
      window.location.reload();
    });
    note.appendChild(discard);
    form.insertBefore(note, form.firstChild);
  }

  function draftKeys(store) {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(DRAFT) === 0) { keys.push(key); }
    }
    return keys;
  }

  function typedBeforeALogout(saved) {
    try { return (JSON.parse(saved).mark || "") !== logoutMark(); } catch (err) { return true; }
  }

  function dropLoggedOutDrafts() {
    var store = drafts();
    if (!store) { return; }
    draftKeys(store).forEach(function (key) {
      if (typedBeforeALogout(store.getItem(key))) { store.removeItem(key); }
    });
  }

  function dropDraftsNoLongerOffered(store, own) {
    document.querySelectorAll("[data-draft-scope]").forEach(function (scope) {
      var prefix = own + scope.getAttribute("data-draft-scope");
      draftKeys(store).forEach(function (key) {
        if (key.indexOf(prefix) !== 0) { return; }
        var name = key.slice(own.length);
        if (!document.querySelector("form[data-draft='" + CSS.escape(name) + "']")) { store.removeItem(key); }
      });
    });
  }

  function startDrafts() {
    var store = drafts();
    if (!store) { return; }
    var own = DRAFT + draftUser + ":";
    dropLoggedOutDrafts();
    draftKeys(store).forEach(function (key) {  // the login page after a lapsed login keeps them
      if (draftUser && key.indexOf(own) !== 0) { store.removeItem(key); }
    });
    document.querySelectorAll(".messages [data-tags]").forEach(function (m) {
      m.getAttribute("data-tags").split(/\s+/).forEach(function (tag) {
        if (tag.indexOf("draft:") === 0) { store.removeItem(own + tag.slice(6)); }
      });
    });
    dropDraftsNoLongerOffered(store, own);
    document.querySelectorAll("form[data-draft][data-draft-restore]").forEach(function (form) {
      var saved = store.getItem(draftKey(form));
      if (!saved) { return; }
      try { fillDraft(form, JSON.parse(saved)); } catch (err) { store.removeItem(draftKey(form)); return; }
      sayRestored(form);
    });
  }
  startDrafts();  // before HTMX's first requests (the duplicate panel's `load`) read the fields
  document.addEventListener("visibilitychange", function () {  // a logout in another tab meanwhile
    if (document.visibilityState === "visible" && !loggedOutMeanwhile()) { dropLoggedOutDrafts(); }
  });
  // A window left open beside the one that logged out shows nothing more either (a cookie read a second).
  if (draftUser) { window.setInterval(loggedOutMeanwhile, LOGOUT_CHECK_MS); }
  // Back (or Forward) to a logged-in page kept whole by the browser (its back-forward cache) would show it as
  // it was: a recorded request with its key, a citizen's phone after a logout. It is asked for afresh instead.
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && draftUser) { window.location.reload(); }
  });

  function draftOf(el) { return el && el.closest ? el.closest("form[data-draft]") : null; }
  ["input", "change", "jiesu:picked"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var form = draftOf(e.target);
      if (form) { saveDraft(form); }
    });
  });
  document.addEventListener("submit", function (e) {
    var store = drafts();
    if (!store || !e.target.hasAttribute("data-draft-end-all")) { return; }
    draftKeys(store).forEach(function (key) { store.removeItem(key); });
  });
})();
