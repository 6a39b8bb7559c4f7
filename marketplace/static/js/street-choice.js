// A public form's street select (data-choose-street): choosing a street with the mouse or a finger presses
// the form's "show this street's grids" button, so the grid list follows at once and everything typed is kept.
// Arrow keys step through the streets without sending anything: Enter (or the button) then shows the grids.
// Without scripts the button does it all.
(function () {
  function choose(select) {
    var form = select.form;
    var button = form && form.querySelector('button[name="action"][value="choose_street"]');
    if (!button) {
      return;
    }
    if (form.requestSubmit) {
      form.requestSubmit(button);
    } else {
      button.click();
    }
  }
  var stepping = null;
  document.addEventListener("keydown", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-choose-street]")) {
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      stepping = null;
      choose(select);
    } else if (event.key !== "Tab" && event.key !== "Shift") {
      stepping = select;
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-choose-street]")) {
      return;
    }
    if (stepping === select) {
      return;
    }
    choose(select);
  });
  document.addEventListener("pointerdown", function () {
    stepping = null;
  });
  document.addEventListener("focusout", function (event) {
    if (event.target === stepping) {
      stepping = null;
    }
  });
})();
