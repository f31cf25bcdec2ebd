// The header's live indicator: whether the page's watch stream is connected.
const labels = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' };

/** Shows the watch state ('live', 'connecting', 'reconnecting') or hides the indicator (null). */
export function setLive(state) {
  const el = document.getElementById('live');
  el.hidden = !state;
  if (!state) return;
  el.textContent = labels[state] ?? state;
  el.dataset.state = state;
}
