// The What-if's money drawn in the browser the moment a person moves a target slider, before the page's rerun
// answers: the rerun's own text then arrives, the same. The arithmetic and the writing of money are
// dashboard/metrics/whatif.py's (breakdown, whole, projection, money_headline, money_full) done in the same order on
// the same doubles; tests/browser/test_browser_money_preview.py holds the two equal. Only text nodes are written,
// never HTML. When a figure cannot be worked out here exactly (a total of 10^15 or more), nothing is written and the
// rerun's figure is what shows.

// A classic script, run with each run's data; it defines window.cxMoneyPreview once.
(() => {
  if (window.cxMoneyPreview) return;

  const HUGE = 1e15;

  function increment(digits) {
    // a string of decimal digits plus one in its last place
    const out = digits.split("");
    for (let i = out.length - 1; i >= 0; i -= 1) {
      if (out[i] !== "9") {
        out[i] = String(Number(out[i]) + 1);
        return out.join("");
      }
      out[i] = "0";
    }
    return "1" + out.join("");
  }

  function fixed(x, decimals) {
    // Python's f"{x:.{decimals}f}" for 0 <= x < 1e21: the double's exact value rounded half to even
    const [whole, fraction] = x.toFixed(100).split(".");
    let kept = whole + fraction.slice(0, decimals);
    const rest = fraction.slice(decimals);
    const odd = Number(kept[kept.length - 1]) % 2 === 1;
    if (rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || odd))) kept = increment(kept);
    const head = kept.slice(0, kept.length - decimals);
    return decimals > 0 ? `${head}.${kept.slice(kept.length - decimals)}` : kept;
  }

  function number(value, decimals, fmt) {
    // NumberFormat.number: thousands separators and fixed decimals (0 <= value < HUGE)
    const [head, tail] = fixed(value, decimals).split(".");
    const grouped = head.replace(/\B(?=(\d{3})+(?!\d))/g, "\u0000");
    const text = tail === undefined ? grouped : `${grouped}.${tail}`;
    return text.replace(".", fmt.decimal).split("\u0000").join(fmt.thousands);
  }

  function trimmed(value, decimals, fmt) {
    const text = number(value, decimals, fmt);
    if (!text.includes(fmt.decimal)) return text;
    let end = text.length;
    while (end > 0 && text[end - 1] === "0") end -= 1;
    while (end > 0 && text[end - 1] === fmt.decimal) end -= 1;
    return text.slice(0, end);
  }

  function moneyHeadline(value, fmt) {
    // whatif.money_headline for 0 <= value < HUGE
    for (const [cut, suffix, decimals] of [[1e9, "B", 3], [1e6, "M", 3]]) {
      if (Number(fixed(value / cut, decimals)) >= 1) return `${fmt.currency}${trimmed(value / cut, decimals, fmt)}${suffix}`;
    }
    if (value >= 1e4) return `${fmt.currency}${trimmed(value / 1e3, 2, fmt)}K`;
    return moneyFull(value, fmt);
  }

  function moneyFull(value, fmt) {
    // whatif.money_full for 0 <= value < HUGE
    return `${fmt.currency}${number(value, 0, fmt)}`;
  }

  function whole(amount) {
    // whatif.whole for 0 <= amount < 1e21: the shortest decimal that reads back as the double, halves up
    if (amount >= 1e21) return Infinity; // written with an exponent: beyond what is drawn here
    const text = String(amount);
    if (text.includes("e")) return 0; // below 1e-6
    const [head, fraction] = text.split(".");
    return Number(head) + (fraction !== undefined && fraction[0] >= "5" ? 1 : 0);
  }

  function figures(levers, base, targets, years, ramp) {
    // breakdown's annual saving per behaviour, the total, and projection's cumulative total over years
    const rows = levers.map((lever) => {
      const target = Math.min(Math.max(targets[lever.key], lever.current), 1.0);
      const change = target - lever.current;
      const moved = base * change;
      return { key: lever.key, change, annual: whole(moved * lever.saving) };
    });
    let total = 0;
    for (const row of rows) total += row.annual;
    let running = 0;
    for (let year = 1; year <= years; year += 1) {
      const reached = ramp <= 1 ? 1.0 : Math.min(year / ramp, 1.0);
      let yearTotal = 0;
      for (const row of rows) yearTotal += row.annual * reached;
      running += yearTotal;
    }
    return { rows, total, cumulative: running, moved: rows.filter((row) => row.change > 0).length };
  }

  function sliderValue(lever, root) {
    // the value the lever's slider shows now (its input's value attribute), or null when it is not on the page
    const input = root.querySelector(`.${lever.slider} input[type=range]`);
    const value = input ? Number(input.getAttribute("value")) : NaN;
    return Number.isFinite(value) ? value : null;
  }

  function targetsNow(data, root) {
    // the target of every behaviour as its slider shows it: the rerun's own where the slider still shows that
    const targets = {};
    for (const lever of data.levers) {
      const shown = sliderValue(lever, root);
      targets[lever.key] = shown === null || shown === lever.shown ? lever.target : shown / 100;
    }
    return targets;
  }

  function writeText(root, place, text) {
    // the one text node of the markdown in the keyed container place, set to text (left alone when not found)
    const box = root.querySelector(`.${place} [data-testid=stMarkdown]`);
    if (!box) return;
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    const node = walker.nextNode();
    if (node && !walker.nextNode() && node.data !== text) node.data = text;
  }

  function draw(data, root) {
    const found = figures(data.levers, data.base, targetsNow(data, root), data.years, data.ramp);
    if (!(found.total < HUGE && found.cumulative < HUGE)) return;
    const fmt = data.format;
    const money = { headline: moneyHeadline(found.total, fmt), full: moneyFull(found.total, fmt), cumulative: moneyFull(found.cumulative, fmt) };
    for (const row of found.rows) money[`row:${row.key}`] = row.annual > 0 ? moneyFull(row.annual, fmt) : "—";
    const moved = found.moved === 0 ? data.moved.none : (found.moved === 1 ? data.moved.one : data.moved.many).replace("{n}", String(found.moved));
    for (const text of data.texts) writeText(root, text.place, text.kind === "moved" ? moved : `${text.before}${money[text.kind]}${text.after}`);
  }

  function caughtUp(data, root) {
    // whether the rerun these data come from saw every slider where it is now
    return data.levers.every((lever) => {
      const shown = sliderValue(lever, root);
      return shown === null || shown === lever.shown;
    });
  }

  const state = { data: null, moving: false, frame: 0 };

  function onSlider(element, data) {
    // whether element is inside one of the target sliders
    return element instanceof Element && data.levers.some((lever) => element.closest(`.${lever.slider}`));
  }

  function onInput(event) {
    // a person moving one of the targets (key or pointer on its slider) starts the preview; any other input ends it
    if (state.data) state.moving = onSlider(event.target, state.data);
  }

  function onChange() {
    // at most one drawing a frame, in the frame that paints the change (before its paint): a slider's new value and
    // the money it is worth appear together, and a rerun's earlier answer is written over before it is ever seen
    if (!state.moving || !state.data || state.frame) return;
    state.frame = requestAnimationFrame(() => {
      state.frame = 0;
      if (state.moving && state.data) draw(state.data, document);
    });
  }

  let watching = false;

  function update(data) {
    // each run's data: what the figures are worked out from; the first call starts watching the page (for as long as
    // the page is open: a mutation costs a check of one flag unless a person is moving a slider, and then one drawing a
    // frame)
    state.data = data;
    if (!watching) {
      watching = true;
      new MutationObserver(onChange).observe(document.body, {
        subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["value"],
      });
      document.addEventListener("keydown", onInput, true);
      document.addEventListener("pointerdown", onInput, true);
    }
    // a slider that shows another value than this run drew it at was moved since, by the person on it (the focus is on
    // a slider while a key or a pointer moves it), perhaps before these data reached the page
    if (caughtUp(data, document)) state.moving = false;
    else if (onSlider(document.activeElement, data)) state.moving = true;
    onChange();
  }

  window.cxMoneyPreview = { fixed, number, moneyHeadline, moneyFull, whole, figures, update };
})();
