// The review inbox from the keyboard: j / k move between items, a approves the current one,
// r goes to its reason for rejecting, x ticks it. "Select all on this page" ticks every item.
// The page works without this file: every action is a real form and button.
(function () {
  "use strict";

  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
  var bulk = document.getElementById("bulk-form");
  if (!cards.length || !bulk) {
    return;
  }
  var current = -1;

  Array.prototype.forEach.call(document.querySelectorAll("[data-js-only]"), function (element) {
    element.hidden = false;
  });

  function boxes() {
    return cards.map(function (card) {
      return card.querySelector("input[name=ids]");
    });
  }

  function scope(value) {
    var radio = bulk.querySelector("input[name=scope][value=" + value + "]");
    if (radio) {
      radio.checked = true;
    }
  }

  var selectPage = document.getElementById("select-page");
  var tickedCount = document.getElementById("ticked-count");

  function refresh() {
    var ticked = boxes().filter(function (box) {
      return box.checked;
    }).length;
    if (selectPage) {
      selectPage.checked = ticked === cards.length;
      selectPage.indeterminate = ticked > 0 && ticked < cards.length;
    }
    if (tickedCount) {
      tickedCount.textContent = ticked ? ticked + " / " + cards.length : "";
    }
  }

  if (selectPage) {
    selectPage.addEventListener("change", function () {
      boxes().forEach(function (box) {
        box.checked = selectPage.checked;
      });
      scope("selected");
      refresh();
    });
  }
  boxes().forEach(function (box) {
    box.addEventListener("change", function () {
      scope("selected");
      refresh();
    });
  });

  function focusCard(index) {
    if (index < 0 || index >= cards.length) {
      return;
    }
    if (current >= 0) {
      cards[current].classList.remove("is-current");
    }
    current = index;
    var card = cards[current];
    card.classList.add("is-current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  // Keys act on the item that has the focus (or holds it), else on the last one moved to.
  function activeIndex() {
    var holder = document.activeElement && document.activeElement.closest("[data-card]");
    return holder ? cards.indexOf(holder) : current;
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var index = activeIndex();
    var card = index >= 0 ? cards[index] : null;
    switch (event.key) {
      case "j":
        focusCard(index + 1);
        break;
      case "k":
        focusCard(index < 0 ? 0 : index - 1);
        break;
      case "a":
        if (!card) return;
        var approve = card.querySelector("[data-approve]");
        if (approve) approve.click(); // a proposal awaiting its candidate's answer has no Approve button
        break;
      case "r":
        if (!card) return;
        card.querySelector("[data-reason]").focus();
        break;
      case "x":
        if (!card) return;
        var box = card.querySelector("input[name=ids]");
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change"));
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  cards.forEach(function (card, index) {
    card.addEventListener("focusin", function () {
      if (current >= 0 && current !== index) {
        cards[current].classList.remove("is-current");
      }
      current = index;
      card.classList.add("is-current");
    });
  });
  refresh();
})();
