// The plan form's SKU and region lines (templates/campaigns/_lines.html): the running
// total of the shares in percent as they are typed, and the focus on a line "Add line"
// (htmx) just added. A static file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function totalOf(set) {
    let total = 0;
    set.querySelectorAll("tbody tr").forEach(function (row) {
      const share = row.querySelector('input[name$="-share_percent"]');
      const remove = row.querySelector('input[name$="-DELETE"]');
      if (!share || (remove && remove.checked) || share.value.trim() === "") return;
      const value = Number(share.value);
      if (Number.isFinite(value)) total += value;
    });
    // Shares have at most 2 decimals: round away the floating-point dust (33.33 * 3).
    return Math.round(total * 1000) / 1000;
  }

  function refresh(set) {
    const shown = document.querySelector('[data-total-for="' + set.dataset.lines + '"]');
    if (!shown) return;
    const total = totalOf(set);
    shown.querySelector("output").textContent = String(total);
    shown.toggleAttribute("data-ok", total === 100);
  }

  function onEdit(event) {
    const set = event.target.closest && event.target.closest("[data-lines]");
    if (set) refresh(set);
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  // htmx swapped in the lines with one more: focus its first field.
  document.addEventListener("htmx:load", function (event) {
    const set = event.detail.elt;
    if (!set.matches || !set.matches("[data-lines]")) return;
    refresh(set);
    const rows = set.querySelectorAll("tbody tr");
    const field = rows.length && rows[rows.length - 1].querySelector("select, input");
    if (field) field.focus();
  });
})();
