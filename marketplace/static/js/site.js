// The phone header's menu button. Loaded in <head> (not inline, so the Content-Security-Policy holds):
// marking the page as scripted first keeps the menu closed from the first paint; without scripts the
// header simply shows everything.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  var header = document.querySelector(".site-header");
  var button = header && header.querySelector(".menu-toggle");
  if (!button) {
    return;
  }
  function setOpen(open) {
    header.classList.toggle("is-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () {
    setOpen(!header.classList.contains("is-open"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("is-open")) {
      setOpen(false);
      button.focus();
    }
  });
});

// A table wider than the screen scrolls inside its .table-scroll box; keyboard users reach that box
// only if it can take focus, and screen readers need its name (the table's caption or the heading
// above it). Marked only while it really scrolls, so narrow tables add no extra tab stop.
(function () {
  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption) {
      return caption.textContent.trim();
    }
    var section = box.closest("section, main");
    var heading = section && section.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : "";
  }
  function mark() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label") && nameOf(box)) {
          box.setAttribute("aria-label", nameOf(box));
        }
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  document.addEventListener("htmx:afterSettle", mark);
  window.addEventListener("resize", mark);
})();

// A form sent back with a problem shows the problem where the form is. When the page says nothing about it
// on the first screen (a form low on a long page, such as a need's line change on a phone), bring the first
// field marked invalid into view and focus it, opening any <details> around it; otherwise the page looks
// unchanged from the top and nobody knows the change was refused. A banner about the problem already on
// screen (the forms that list their problems at the top) or a #fragment in the address leaves the page as is.
(function () {
  function onScreen(element) {
    var box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.top < window.innerHeight && box.bottom > 0;
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.hash) {
      return;
    }
    var field = document.querySelector('main [aria-invalid="true"]');
    if (!field) {
      return;
    }
    var banners = document.querySelectorAll("main .banner-problem, main [role='alert']");
    for (var i = 0; i < banners.length; i++) {
      if (onScreen(banners[i])) {
        return;
      }
    }
    for (var details = field.closest("details"); details; details = details.parentElement.closest("details")) {
      details.open = true;
    }
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();
