// The take-part form: choosing another offer updates the quantity's placeholder and hint to what that offer can
// give (the smaller of what the line still needs and what the offer has left). The server writes both for the
// offer selected first, so the page says the same without scripts.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("select[data-quantity]")) return;
  var option = select.options[select.selectedIndex];
  var input = document.getElementById(select.dataset.quantity);
  var hint = document.getElementById(select.dataset.quantity + "-hint");
  if (!option || !input) return;
  if (option.dataset.most) input.placeholder = option.dataset.most;
  if (hint && option.dataset.hint) hint.textContent = option.dataset.hint;
});
