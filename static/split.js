// The split form's "Split here": a split point (a line of just ---) at the cursor in the claim's text box.
// Without JavaScript the button stays hidden and the author types the line.
document.querySelectorAll("button[data-split-here]").forEach((button) => {
  const box = document.getElementById(button.dataset.splitHere);
  if (!box) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const mark = box.dataset.split || "---";
    const at = box.selectionStart;
    const before = box.value.slice(0, at).replace(/[ \t]+$/, "");
    const after = box.value.slice(box.selectionEnd).replace(/^[ \t]+/, "");
    const lead = before && !before.endsWith("\n") ? "\n" : "";
    const tail = after.startsWith("\n") ? "" : "\n";
    box.value = before + lead + mark + tail + after;
    const cursor = (before + lead + mark + tail).length;
    box.focus();
    box.setSelectionRange(cursor, cursor);
  });
});
