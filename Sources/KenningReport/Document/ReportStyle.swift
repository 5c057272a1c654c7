/// The page's inline style and its one script (sorting tables by a header click).
enum ReportStyle {
    static let css = """
    :root { color-scheme: light; }
    body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; max-width: 1100px; padding: 0 24px 48px; line-height: 1.45; }
    h1 { font-size: 1.6em; margin: 28px 0 8px; }
    h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
    h3 { font-size: 1.05em; margin-top: 24px; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 0.9em; }
    dl.facts dt { color: #555; }
    dl.facts dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
    nav ol { columns: 2; font-size: 0.92em; }
    a { color: #0060a0; }
    .table-wrap { overflow-x: auto; }
    table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0 16px; }
    th, td { border-bottom: 1px solid #e5e5e5; padding: 4px 8px; text-align: left; vertical-align: top; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    table.sortable th { cursor: pointer; user-select: none; }
    table.sortable th[aria-sort="ascending"]::after { content: " ▲"; }
    table.sortable th[aria-sort="descending"]::after { content: " ▼"; }
    tr.pick td { background: #fff1e6; font-weight: bold; }
    figure { margin: 16px 0 24px; break-inside: avoid; }
    figure svg { max-width: 100%; height: auto; display: block; }
    figcaption { font-size: 0.88em; color: #444; margin-top: 4px; }
    @media print {
      nav { display: none; }
      body { max-width: none; padding: 0; }
      h2 { break-after: avoid; }
      tr.pick td { background: none; text-decoration: underline; }
    }
    """

    /// Click a header to sort by that column (numbers by their data-sort value); click again to reverse.
    static let sortScript = """
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("th").forEach(function (th, col) {
        th.addEventListener("click", function () {
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var up = th.getAttribute("aria-sort") !== "ascending";
          table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", up ? "ascending" : "descending");
          rows.sort(function (a, b) {
            var x = a.cells[col], y = b.cells[col];
            var kx = x && x.dataset.sort, ky = y && y.dataset.sort;
            var r = (kx !== undefined && ky !== undefined) ? parseFloat(kx) - parseFloat(ky)
                  : (x ? x.textContent : "").localeCompare(y ? y.textContent : "");
            return up ? r : -r;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
    });
    """
}
