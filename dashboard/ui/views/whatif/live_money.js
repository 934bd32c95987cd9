// The What-if's money figure redrawn in the browser the moment a target slider moves, before the server's run answers.
//
// It mirrors dashboard/metrics/whatif.py, which stays the definition: annual saving per behaviour =
// whole(base × (target − today) × saving) (target = slider % ÷ 100, kept between today and 100 %), summed; the figure
// written as money_headline and money_full write it. A behaviour whose slider still shows what the server drew it with
// (within half a step: the browser snaps a slider to its step) keeps the server's own figure. The server's answer then replaces the text with its own (the same, by
// tests/browser/test_browser_whatif_live.py). Text only: nothing here is read as HTML.
//
// Streamlit calls the default export on every run with that run's data (no cleanup in between), so the listeners are
// installed once and read the latest data from window.cxLiveMoney.

function whole(amount) {
  // whatif.whole: halves away from zero on the shortest decimal that reads back as amount (Python's repr)
  if (!Number.isFinite(amount)) return amount;
  const size = Math.abs(amount);
  if (size >= 2 ** 52) return amount; // every double this large is a whole number
  const text = String(size); // the shortest round-trip decimal, as repr gives (positional below 1e21)
  const [units, decimals = ""] = text.includes("e") ? [String(Math.trunc(size)), "0"] : text.split(".");
  const rounded = Number(units) + (decimals[0] >= "5" ? 1 : 0);
  return amount < 0 ? -rounded : rounded;
}

function fixed(value, decimals) {
  // Python's f"{value:.Nf}": the double's exact value rounded, an exact tie to the even digit (toFixed takes the
  // larger one); toFixed(100) writes every digit of the doubles shown here (one or more)
  const exact = value.toFixed(100);
  const point = exact.indexOf(".");
  const rest = exact.slice(point + 1 + decimals);
  if (/^50*$/.test(rest)) {
    const kept = decimals > 0 ? exact.slice(0, point + 1 + decimals) : exact.slice(0, point);
    if (Number(kept[kept.length - 1]) % 2 === 0) return kept;
  }
  return value.toFixed(decimals);
}

function number(value, decimals, format) {
  // NumberFormat.number for a finite value below 1e15: thousands separators and fixed decimals
  const [units, fraction] = fixed(value, decimals).split(".");
  const grouped = units.replace(/\B(?=(\d{3})+(?!\d))/g, "\u0000");
  const text = fraction === undefined ? grouped : `${grouped}.${fraction}`;
  return text.replace(".", format.decimal).replaceAll("\u0000", format.thousands);
}

function trimmed(value, decimals, format) {
  const text = number(value, decimals, format);
  if (!text.includes(format.decimal)) return text;
  return text.replace(/0+$/, "").replace(new RegExp(`\\${format.decimal}$`), "");
}

function headline(value, format) {
  // whatif.money_headline: M or B with up to three decimals, K with up to two, trailing zeros dropped
  const sign = value < 0 ? "-" : "";
  const size = Math.abs(value);
  for (const [cut, suffix] of [[1e9, "B"], [1e6, "M"]]) {
    if (Number(fixed(size / cut, 3)) >= 1) return `${sign}${format.currency}${trimmed(size / cut, 3, format)}${suffix}`;
  }
  if (size >= 1e4) return `${sign}${format.currency}${trimmed(size / 1e3, 2, format)}K`;
  return `${sign}${format.currency}${number(size, 0, format)}`;
}

function full(value, format) {
  // whatif.money_full: to the whole unit with thousands separators
  return `${value < 0 ? "-" : ""}${format.currency}${number(Math.abs(value), 0, format)}`;
}

function sliderPct(lever) {
  const box = lever.slider ? document.getElementsByClassName(lever.slider)[0] : null;
  const input = box && box.querySelector('input[type="range"]');
  const pct = input ? Number(input.value) : NaN;
  return Number.isFinite(pct) ? pct : null;
}

function drawn(lever, pct, data) {
  // whether the slider shows what the server drew it with (within half a step: the browser snaps it to its step)
  return pct === null || Math.abs(pct - lever.shown_pct) < data.step / 2;
}

function total(data, touched) {
  // whatif.total_saving of whatif.breakdown: a behaviour whose slider a person has moved past what the server drew it
  // with is worked out from the slider; every other keeps the server's own figure
  let sum = 0;
  for (const lever of data.levers) {
    const pct = touched.has(lever.slider) ? sliderPct(lever) : null;
    if (drawn(lever, pct, data)) {
      sum += lever.annual;
      continue;
    }
    const target = Math.min(Math.max(Math.min(Math.max(pct, lever.floor_pct), 100) / 100, lever.current), 1);
    sum += whole(data.base * (target - lever.current) * lever.saving);
  }
  return sum;
}

function redraw() {
  const state = window.cxLiveMoney;
  const figure = document.querySelector(".st-key-w_headline [data-testid='stMarkdownContainer'] p");
  if (!state.data || !figure) return;
  const value = total(state.data, state.touched);
  if (!Number.isFinite(value) || Math.abs(value) >= 1e15) return; // the server's figure stands
  write(figure.querySelector("span") || figure, headline(value, state.data.format));
  const words = `${state.data.words_before}${full(value, state.data.format)}${state.data.words_after}`;
  for (const strong of document.querySelectorAll(".st-key-w_sticky strong")) {
    if (strong.textContent.startsWith(state.data.words_before)) write(strong, words);
  }
}

function write(element, text) {
  // text into the element's own text node, which React keeps writing the server's text into (a new node would leave
  // React writing into one no longer on the page)
  if (element.textContent === text) return;
  const node = element.childNodes.length === 1 && element.firstChild.nodeType === 3 ? element.firstChild : null;
  if (node) node.nodeValue = text;
  else element.textContent = text;
}

function leverOf(node) {
  // the slider class of the behaviour whose slider node is in (null when it is in none)
  const element = node && (node.nodeType === 1 ? node : node.parentElement);
  const state = window.cxLiveMoney;
  if (!element || !state.data || !element.closest("[data-testid='stSlider']")) return null;
  const lever = state.data.levers.find((item) => item.slider && element.closest(`.${item.slider}`));
  return lever ? lever.slider : null;
}

const KEY_REDRAWS_MS = [0, 16, 50, 120];
// after a key on a slider: react-aria moves the thumb within the key's task or soon after, never as late as a run

function install() {
  // The behaviours a person has moved (touched) are worked out from their sliders until the server's data shows what
  // the slider shows; a slider the server moves (a preset, a loaded scenario) is never touched, so its figure is the
  // server's. Touching anything else ends the moves: what the server answers from then on stands.
  const state = window.cxLiveMoney;
  let holding = null; // the slider a pointer is held on (react-aria moves the thumb itself, with no input event)
  const touch = (event) => {
    const lever = leverOf(event.target);
    if (lever) state.touched.add(lever);
    else state.touched.clear();
    return lever;
  };
  document.addEventListener("pointerdown", (event) => (holding = touch(event)), true);
  for (const name of ["pointerup", "pointercancel"]) document.addEventListener(name, () => (holding = null), true);
  document.addEventListener("keydown", (event) => {
    if (touch(event)) for (const ms of KEY_REDRAWS_MS) setTimeout(redraw, ms);
  }, true);
  document.addEventListener("input", (event) => touch(event) && redraw(), true);
  const inFigure = (node) => Boolean((node.nodeType === 1 ? node : node.parentElement)?.closest(".st-key-w_sticky"));
  new MutationObserver((changes) => {
    if (holding && changes.some((change) => leverOf(change.target) === holding)) redraw();
    else if (state.touched.size && changes.some((change) => inFigure(change.target))) redraw(); // an older run's figure
  }).observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ["value", "aria-valuetext"],
  });
}

export default function (component) {
  // every run hands its data: a moved slider the data has caught up with is the server's again, and the figure is
  // drawn from the data (the server's own figure once every moved slider has been caught up with)
  const first = !window.cxLiveMoney;
  if (first) window.cxLiveMoney = { whole, fixed, headline, full, total, redraw, touched: new Set() };
  const state = window.cxLiveMoney;
  state.data = component.data;
  if (first) install();
  for (const lever of state.data.levers) {
    if (state.touched.has(lever.slider) && drawn(lever, sliderPct(lever), state.data)) state.touched.delete(lever.slider);
  }
  redraw();
}
