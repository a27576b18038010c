// The local dashboard page: draws every widget of /api/dashboard generically with uPlot and
// refreshes it, and the business views, every few seconds. Plain browser JavaScript, no build.
'use strict';

const REFRESH_MS = 3000;
const PALETTE = ['#1f6feb', '#e67700', '#2f9e44', '#c62828', '#7048e8', '#0c8599', '#d6336c', '#5c940d', '#862e9c', '#495057', '#f08c00', '#1864ab'];
const FUNNEL_LABELS = { page_view: 'Page view', product_view: 'Product view', add_to_cart: 'Add to cart', checkout: 'Checkout', purchase: 'Purchase' };
const STAT_NAMES = { Sum: 'total', Average: 'average', Maximum: 'maximum', Minimum: 'minimum', SampleCount: 'samples', p50: 'median', p90: 'p90', p99: 'p99' };

const state = { definition: null, minutes: 15, charts: new Map(), timer: undefined, inFlight: false };

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'className') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `${url}: HTTP ${response.status}`);
  return body;
}

function formatNumber(value) {
  if (value === null || value === undefined) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function formatPercent(ratio) {
  if (ratio === null || ratio === undefined) return '–';
  const percent = ratio * 100;
  return `${percent >= 10 || percent === 0 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/** 24-hour clock, with seconds: the only time format on the page. */
function clock(epochMs, withSeconds = true) {
  return new Date(epochMs).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}), hour12: false });
}

function formatTime(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? String(iso) : clock(ms);
}

// --- charts ---------------------------------------------------------------------------------

/** Cumulative sums for a stacked chart (nulls count as 0) and the bands filling between lines. */
function stack(rows) {
  const accumulated = rows[0].map(() => 0);
  const stacked = rows.map((row) => row.map((value, index) => (accumulated[index] += value ?? 0)));
  const bands = stacked.map((_, index) => index).filter((index) => index > 0).map((index) => ({ series: [index + 1, index], fill: fade(PALETTE[index % PALETTE.length]) }));
  return { stacked, bands };
}

function fade(color) {
  return `${color}40`;
}

/** The last value of a line that is not null (what the legend shows when the cursor is elsewhere). */
function latest(values) {
  for (let index = values.length - 1; index >= 0; index--) if (values[index] !== null && values[index] !== undefined) return values[index];
  return null;
}

function chartOptions(width, labels, raw, stacked, bands, unit) {
  return {
    width,
    height: 200,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { values: (u, ticks, axisIndex, space, increment) => ticks.map((tick) => clock(tick * 1000, increment < 60)) },
      { size: 56, label: unit, labelSize: 18, values: (u, ticks) => ticks.map(formatNumber) },
    ],
    bands,
    series: [
      // The time of the hovered bucket, 24-hour; "latest" when the cursor is not on the chart.
      { value: (u, value, seriesIndex, dataIndex) => (dataIndex === null || dataIndex === undefined || value === null ? 'latest' : clock(value * 1000)) },
      ...labels.map((label, index) => ({
        label,
        stroke: PALETTE[index % PALETTE.length],
        width: 1.5,
        fill: stacked ? (index === 0 ? fade(PALETTE[0]) : undefined) : undefined,
        spanGaps: stacked,
        // Stacked charts draw cumulative sums; the legend shows each line's own value, the latest when not hovering.
        value: (u, value, seriesIndex, dataIndex) => formatNumber(dataIndex === null || dataIndex === undefined ? latest(raw[seriesIndex - 1]) : raw[seriesIndex - 1][dataIndex]),
      })),
    ],
  };
}

/** Creates or updates the uPlot chart in `container` with `data` ({timestamps, series}). */
function drawChart(container, key, data, stacked, unit, emptyText) {
  const labels = data.series.map((series) => series.label);
  const raw = data.series.map((series) => series.values);
  const points = raw.flat().filter((value) => value !== null).length;
  container.dataset.points = String(points);
  container.dataset.hasPoints = String(points > 0);
  container.dataset.hasData = String(raw.some((values) => values.some((value) => value !== null && value > 0)));

  let chart = state.charts.get(key);
  if (labels.length === 0) {
    chart?.plot.destroy();
    state.charts.delete(key);
    container.replaceChildren(el('p', { className: 'empty' }, emptyText ?? 'No datapoints in this range yet.'));
    return;
  }
  const { stacked: stackedRows, bands } = stacked ? stack(raw) : { stacked: raw, bands: [] };
  const uplotData = [data.timestamps, ...stackedRows];
  const signature = `${stacked}|${labels.join('\u0000')}`;
  if (chart && chart.signature === signature) {
    chart.raw.splice(0, chart.raw.length, ...raw);
    chart.plot.setData(uplotData);
    return;
  }
  chart?.plot.destroy();
  container.replaceChildren();
  const rawRef = [...raw];
  const plot = new uPlot(chartOptions(container.clientWidth || 300, labels, rawRef, stacked, bands, unit), uplotData, container);
  state.charts.set(key, { plot, signature, raw: rawRef, container });
}

function resizeCharts() {
  for (const chart of state.charts.values()) chart.plot.setSize({ width: chart.container.clientWidth, height: 200 });
}

// --- pipeline widgets from the shared definition --------------------------------------------

function metricSource(widget) {
  return widget.search ? widget.search.expression : widget.metrics.map((metric) => metric.join(' ')).join('\n');
}

/** "records per 30 s", "ms, p99 of each 30 s": what a chart's values are. */
function subtitle(widget, periodSeconds) {
  const period = periodSeconds === undefined ? 'period' : `${periodSeconds} s`;
  const stat = STAT_NAMES[widget.stat] ?? widget.stat;
  const what = widget.stat === 'Sum' ? `${widget.unit} per ${period}` : `${widget.unit}, ${stat} of each ${period}`;
  return `${what}${widget.stacked ? ', stacked' : ''}`;
}

function renderWidgets(definition) {
  document.getElementById('title').textContent = definition.title;
  const drawn = definition.widgets.filter((widget) => !widget.localNote);
  const awsOnly = definition.widgets.filter((widget) => widget.localNote);
  document.getElementById('widgets').replaceChildren(
    ...drawn.map((widget) =>
      el(
        'section',
        { className: 'card widget', 'data-widget-id': widget.id, style: `--span: ${widget.width}` },
        el('h3', {}, widget.title),
        el('p', { className: 'meta' }, el('span', { className: 'unit' }, subtitle(widget))),
        el('div', { className: 'chart', 'data-has-data': 'false', 'data-points': '0' }),
        el('details', { className: 'expression' }, el('summary', {}, 'metric'), el('code', {}, metricSource(widget))),
      ),
    ),
  );
  // Widgets nothing in the local stack can fill: one line that says which and why.
  const line = document.getElementById('aws-only');
  line.hidden = awsOnly.length === 0;
  line.replaceChildren(
    el('strong', {}, 'Only on AWS: '),
    ...awsOnly.flatMap((widget, index) => [index === 0 ? '' : ', ', el('span', { 'data-widget-id': widget.id, 'data-aws-only': 'true', title: metricSource(widget) }, widget.title)]),
    ` — ${[...new Set(awsOnly.map((widget) => widget.localNote))].join(' ')}`,
  );
}

function updateWidgets(metrics) {
  for (const widget of state.definition.widgets) {
    const card = document.querySelector(`.widget[data-widget-id="${widget.id}"]`);
    const data = metrics.widgets[widget.id];
    if (!card || !data) continue;
    card.querySelector('.unit').textContent = subtitle(widget, metrics.periodSeconds);
    drawChart(card.querySelector('.chart'), widget.id, data, widget.stacked, widget.unit, widget.emptyNote);
  }
}

// --- business views -------------------------------------------------------------------------

function fillTable(sectionId, rows, emptyText, columns) {
  const body = document.querySelector(`#${sectionId} tbody`);
  if (rows.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: String(columns), className: 'empty' }, emptyText)));
    return;
  }
  body.replaceChildren(...rows);
}

/** The funnel as bars: each step's share of the first, with its conversion from the step before. */
function updateFunnel(funnel) {
  const first = funnel.steps[0]?.count ?? 0;
  const section = document.getElementById('funnel');
  section.dataset.hasData = String(first > 0);
  section.querySelector('.funnel-steps').replaceChildren(
    ...funnel.steps.map((step, index) =>
      el(
        'li',
        { 'data-step': step.eventType },
        el('span', { className: 'step-label' }, FUNNEL_LABELS[step.eventType] ?? step.eventType),
        el('span', { className: 'bar-track' }, el('span', { className: 'bar', style: `width: ${first > 0 && step.count > 0 ? Math.max(0.5, (step.count / first) * 100) : 0}%` })),
        el('span', { className: 'count num' }, formatNumber(step.count)),
        el('span', { className: 'conversion num', title: index === 0 ? 'the first step' : `${FUNNEL_LABELS[step.eventType]} per ${FUNNEL_LABELS[funnel.steps[index - 1].eventType]}` }, index === 0 ? '' : `${formatPercent(step.fromPrevious)} of previous`),
      ),
    ),
  );
  document.getElementById('funnel-overall').replaceChildren(
    'Overall conversion ',
    el('strong', { id: 'funnel-overall-rate' }, formatPercent(funnel.overall)),
    ' (purchases per page view)',
  );
}

function updateBusiness(views) {
  for (const label of document.querySelectorAll('.range-label')) label.textContent = `last ${rangeText(views.minutes)}`;

  fillTable(
    'top-pages',
    views.topPages.map((page, index) => el('tr', {}, el('td', { className: 'rank' }, index + 1), el('td', { className: 'path' }, page.page_url), el('td', { className: 'num' }, formatNumber(page.page_views)), el('td', { className: 'num' }, formatNumber(page.events)))),
    'No page views in this range yet.',
    4,
  );

  const active = views.activeSessions;
  document.getElementById('active-window').textContent = String(active.windowMinutes);
  const count = document.getElementById('active-sessions-count');
  count.textContent = formatNumber(active.count);
  count.dataset.value = String(active.count);
  fillTable(
    'active-sessions',
    active.recent.map((session) =>
      el(
        'tr',
        {},
        el('td', { className: 'id' }, session.session_id),
        el('td', { className: 'id' }, session.user_id ?? '–'),
        el('td', { className: 'time' }, formatTime(session.last_event_at)),
        el('td', { className: 'num' }, session.event_count),
        el('td', { className: 'path' }, session.exit_page ?? '–'),
        el('td', {}, session.converted ? `yes (${formatNumber(session.revenue)})` : 'no'),
      ),
    ),
    'No active sessions.',
    6,
  );

  updateFunnel(views.funnel);

  fillTable(
    'alerts',
    views.alerts.map((alert) =>
      el(
        'tr',
        {},
        el('td', { className: 'time' }, formatTime(alert.incident_at)),
        el('td', {}, el('span', { className: `severity severity-${alert.severity}` }, alert.severity)),
        el('td', { className: 'rule' }, alert.rule),
        el('td', { className: 'id' }, alert.subject_key),
        el('td', { className: 'num' }, `${formatNumber(alert.observed)} ${alert.comparison === 'below' ? '<' : '>'} ${formatNumber(alert.threshold)}`),
        el(
          'td',
          { className: 'details' },
          el(
            'details',
            {},
            el('summary', {}, alert.description),
            el('pre', {}, JSON.stringify({ window: alert.window, sample_event_ids: alert.sample_event_ids, context: alert.context, detected_at: alert.detected_at, delivery: alert.delivery }, null, 2)),
          ),
        ),
      ),
    ),
    'No alerts in the last 24 hours.',
    6,
  );
}

// --- refresh loop ---------------------------------------------------------------------------

function rangeText(minutes) {
  return minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`;
}

/** The range from the address (`?minutes=5`), so a link or a reload keeps it. */
function rangeFromUrl(definition) {
  const minutes = Number(new URLSearchParams(window.location.search).get('minutes'));
  return definition.rangesMinutes.includes(minutes) ? minutes : definition.defaultRangeMinutes;
}

function renderRanges(definition) {
  const nav = document.getElementById('ranges');
  nav.replaceChildren(
    ...definition.rangesMinutes.map((minutes) => {
      const button = el('button', { type: 'button', 'data-minutes': String(minutes), 'aria-pressed': String(minutes === state.minutes) }, rangeText(minutes));
      button.addEventListener('click', () => {
        state.minutes = minutes;
        for (const other of nav.querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === button));
        const url = new URL(window.location.href);
        url.searchParams.set('minutes', String(minutes));
        window.history.replaceState(null, '', url);
        refresh();
      });
      return button;
    }),
  );
}

async function refresh() {
  clearTimeout(state.timer);
  const status = document.getElementById('status');
  if (!state.inFlight) {
    state.inFlight = true;
    try {
      const [metrics, business] = await Promise.all([getJson(`/api/metrics?minutes=${state.minutes}`), getJson(`/api/business?minutes=${state.minutes}`)]);
      updateWidgets(metrics);
      updateBusiness(business);
      status.textContent = `live · updated ${clock(Date.now())}`;
      status.className = '';
    } catch (error) {
      status.textContent = `update failed: ${error.message}`;
      status.className = 'error';
    } finally {
      state.inFlight = false;
    }
  }
  state.timer = setTimeout(refresh, REFRESH_MS);
}

async function start() {
  try {
    state.definition = await getJson('/api/dashboard');
  } catch (error) {
    document.getElementById('status').textContent = `cannot load the dashboard definition: ${error.message}`;
    document.getElementById('status').className = 'error';
    setTimeout(start, REFRESH_MS);
    return;
  }
  state.minutes = rangeFromUrl(state.definition);
  renderRanges(state.definition);
  renderWidgets(state.definition);
  window.addEventListener('resize', resizeCharts);
  await refresh();
}

start();
