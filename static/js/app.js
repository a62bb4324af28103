/*
 * Jornada — small progressive enhancements. No inline scripts or handlers anywhere: every
 * behaviour is declared with data-* attributes and handled here by delegation on document, so
 * content swapped in by htmx works without re-binding. Everything degrades without htmx.
 *
 *   [data-autosubmit]            on a select/input: submit its form on change
 *   form[data-confirm="…"]       ask confirm(…) before submitting
 *   [data-copy="#selector"]      copy that element's text; optional data-copied="Copied"
 *   [data-toggle-sidebar]        open/close the sidebar on small screens (aria-expanded)
 */
(function () {
  "use strict";

  var doc = document;
  var root = doc.documentElement;

  root.classList.add("js");

  function closest(target, selector) {
    return target && target.nodeType === 1 ? target.closest(selector) : null;
  }

  function submitForm(form) {
    if (!form) return;
    if (typeof form.requestSubmit === "function") {
      // Fires the submit event, so data-confirm and htmx still apply.
      form.requestSubmit();
    } else if (form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }))) {
      form.submit();
    }
  }

  /* Live region for short announcements ("Copied"). */
  var liveRegion = null;
  function announce(text) {
    if (!liveRegion) {
      liveRegion = doc.createElement("div");
      liveRegion.className = "visually-hidden";
      liveRegion.setAttribute("aria-live", "polite");
      liveRegion.setAttribute("role", "status");
      doc.body.appendChild(liveRegion);
    }
    liveRegion.textContent = "";
    window.setTimeout(function () {
      liveRegion.textContent = text;
    }, 50);
  }

  /* --- [data-autosubmit] --------------------------------------------------------------- */
  doc.addEventListener("change", function (event) {
    var field = closest(event.target, "[data-autosubmit]");
    if (field && field.form) {
      submitForm(field.form);
      return;
    }
    // htmx-driven filter forms (hx-get) still filter on change when htmx is not loaded.
    if (!window.htmx && event.target && event.target.form) {
      var form = event.target.form;
      if (form.hasAttribute("hx-get") && event.target.tagName === "SELECT") {
        submitForm(form);
      }
    }
  });

  /* --- form[data-confirm] -------------------------------------------------------------- */
  // Capture phase: runs before htmx or any other submit listener on the form itself.
  doc.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
      var message = form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  /* --- [data-copy] ----------------------------------------------------------------------- */
  function copyFallback(text) {
    var area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    doc.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = doc.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    doc.body.removeChild(area);
    return ok;
  }

  function selectContents(element) {
    var selection = window.getSelection && window.getSelection();
    if (!selection) return;
    var range = doc.createRange();
    range.selectNodeContents(element);
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyFeedback(button, ok, source) {
    if (!ok) {
      // Let the person copy by hand: the text is now selected.
      selectContents(source);
      return;
    }
    var label = button.getAttribute("data-copied") || "✓";
    if (!button.hasAttribute("data-copy-label")) {
      button.setAttribute("data-copy-label", button.textContent);
    }
    button.textContent = label;
    button.classList.add("button-copied");
    announce(label);
    window.clearTimeout(button._copyTimer);
    button._copyTimer = window.setTimeout(function () {
      button.textContent = button.getAttribute("data-copy-label");
      button.classList.remove("button-copied");
    }, 2000);
  }

  doc.addEventListener("click", function (event) {
    var button = closest(event.target, "[data-copy]");
    if (!button) return;
    event.preventDefault();
    var source = doc.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = "value" in source && typeof source.value === "string" ? source.value : source.textContent;
    text = (text || "").trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          copyFeedback(button, true, source);
        },
        function () {
          copyFeedback(button, copyFallback(text), source);
        }
      );
    } else {
      copyFeedback(button, copyFallback(text), source);
    }
  });

  /* --- [data-toggle-sidebar] -------------------------------------------------------------- */
  function sidebarOpen() {
    return root.classList.contains("sidebar-open");
  }

  function setSidebar(open, options) {
    root.classList.toggle("sidebar-open", open);
    var toggles = doc.querySelectorAll("[data-toggle-sidebar]");
    var sidebarId = null;
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].setAttribute("aria-expanded", open ? "true" : "false");
      sidebarId = sidebarId || toggles[i].getAttribute("aria-controls");
    }
    var sidebar = doc.getElementById(sidebarId || "sidebar");
    if (open && sidebar) {
      var first = sidebar.querySelector("a[href], button, select, input");
      if (first) first.focus({ preventScroll: true });
    } else if (!open && options && options.restoreFocus && toggles[0]) {
      toggles[0].focus();
    }
  }

  doc.addEventListener("click", function (event) {
    if (closest(event.target, "[data-toggle-sidebar]")) {
      setSidebar(!sidebarOpen());
      return;
    }
    // A click outside the open sidebar (on the backdrop) closes it.
    if (sidebarOpen() && !closest(event.target, ".sidebar")) {
      setSidebar(false);
    }
  });

  doc.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && sidebarOpen()) {
      setSidebar(false, { restoreFocus: true });
    }
  });

  // Back on a wide screen the off-canvas state is meaningless: reset it.
  if (window.matchMedia) {
    var wide = window.matchMedia("(min-width: 900px)");
    var onWide = function (query) {
      if (query.matches && sidebarOpen()) setSidebar(false);
    };
    if (wide.addEventListener) wide.addEventListener("change", onWide);
    else if (wide.addListener) wide.addListener(onWide);
  }

  /* --- htmx loading state ---------------------------------------------------------------- */
  var pending = 0;

  function requestTarget(event) {
    var detail = event.detail || {};
    return detail.target || (detail.elt && detail.elt) || null;
  }

  doc.addEventListener("htmx:beforeRequest", function (event) {
    pending += 1;
    root.classList.add("is-loading");
    var target = requestTarget(event);
    if (target && target.setAttribute) target.setAttribute("aria-busy", "true");
  });

  doc.addEventListener("htmx:afterRequest", function (event) {
    pending = Math.max(0, pending - 1);
    if (!pending) root.classList.remove("is-loading");
    var target = requestTarget(event);
    if (target && target.removeAttribute) target.removeAttribute("aria-busy");
  });

  doc.addEventListener("htmx:afterSwap", function () {
    // Swapped content may contain the open sidebar's toggle state or new copy buttons; the
    // delegated listeners above already cover them. Keep the sidebar closed after navigation.
    if (sidebarOpen()) setSidebar(false);
  });
})();
