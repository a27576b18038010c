// The local dashboard page: draws every widget of /api/dashboard generically with uPlot and
// refreshes it, and the business tables, every few seconds. Plain browser JavaScript, no build.
'use strict';

const REFRESH_MS = 3000;
const PALETTE = ['#1f6feb', '#e67700', '#2f9e44', '#c62828', '#7048e8', '#0c8599', '#d6336c', '#5c940d', '#862e9c', '#495057', '#f08c00', '#1864ab'];

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
  return ratio === null || ratio === undefined ? '–' : `${(ratio * 100).toFixed(1)}%`;
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleTimeString('en-GB', { hour12: false });
}

/** 24-hour clock labels for the time axis, with seconds when ticks are less than a minute apart. */
function formatTick(epochSeconds, incrementSeconds) {
  const options = incrementSeconds < 60 ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false };
  return new Date(epochSeconds * 1000).toLocaleTimeString('en-GB', options);
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

function chartOptions(width, labels, raw, stacked, bands) {
  return {
    width,
    height: 200,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [{ values: (u, ticks, axisIndex, space, increment) => ticks.map((tick) => formatTick(tick, increment)) }, { size: 50, values: (u, ticks) => ticks.map(formatNumber) }],
    bands,
    series: [
      {},
      ...labels.map((label, index) => ({
        label,
        stroke: PALETTE[index % PALETTE.length],
        width: 1.5,
        fill: stacked ? (index === 0 ? fade(PALETTE[0]) : undefined) : undefined,
        spanGaps: stacked,
        // Stacked charts draw cumulative sums; the legend shows each line's own value.
        value: (u, value, seriesIndex, dataIndex) => formatNumber(dataIndex === null || dataIndex === undefined ? value : raw[seriesIndex - 1][dataIndex]),
      })),
    ],
  };
}

/** Creates or updates the uPlot chart in `container` with `data` ({timestamps, series}). */
function drawChart(container, key, data, stacked) {
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
    container.replaceChildren(el('p', { className: 'empty' }, 'No datapoints in this range yet.'));
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
  const plot = new uPlot(chartOptions(container.clientWidth || 500, labels, rawRef, stacked, bands), uplotData, container);
  state.charts.set(key, { plot, signature, raw: rawRef, container });
}

function resizeCharts() {
  for (const chart of state.charts.values()) chart.plot.setSize({ width: chart.container.clientWidth, height: 200 });
}

// --- pipeline widgets from the shared definition --------------------------------------------

function renderWidgets(definition) {
  document.getElementById('title').textContent = definition.title;
  document.getElementById('definition-note').textContent = `${definition.widgets.length} widgets of the shared definition (CloudWatch default range ${definition.rangeMinutes} min)`;
  const grid = document.getElementById('widgets');
  grid.replaceChildren(
    ...definition.widgets.map((widget) => {
      const source = widget.search ? widget.search.expression : widget.metrics.map((metric) => metric.join(' ')).join(' · ');
      const card = el(
        'section',
        { className: 'card widget', 'data-widget-id': widget.id, style: `grid-column: span ${widget.width}` },
        el('h3', {}, widget.title),
        el('p', { className: 'meta', title: source }, `${widget.stat}${widget.stacked ? ', stacked' : ''} · `, el('span', { className: 'period' }, ''), ' · ', source),
        el('div', { className: 'chart', 'data-has-data': 'false', 'data-points': '0' }),
      );
      if (widget.localNote) card.append(el('p', { className: 'note' }, widget.localNote));
      return card;
    }),
  );
}

function updateWidgets(metrics) {
  for (const widget of state.definition.widgets) {
    const card = document.querySelector(`[data-widget-id="${widget.id}"]`);
    const data = metrics.widgets[widget.id];
    if (!card || !data) continue;
    card.querySelector('.period').textContent = `per ${metrics.periodSeconds} s`;
    drawChart(card.querySelector('.chart'), widget.id, data, widget.stacked);
  }
}

// --- business views -------------------------------------------------------------------------

function fillTable(sectionId, rows, emptyText, columns) {
  const body = document.querySelector(`#${sectionId} tbody`);
  if (rows.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: String(columns) , className: 'empty' }, emptyText)));
    return;
  }
  body.replaceChildren(...rows);
}

function updateBusiness(views) {
  for (const label of document.querySelectorAll('.range-label')) label.textContent = `last ${rangeText(views.minutes)}`;

  fillTable(
    'top-pages',
    views.topPages.map((page, index) => el('tr', {}, el('td', {}, index + 1), el('td', {}, page.page_url), el('td', { className: 'num' }, formatNumber(page.page_views)), el('td', { className: 'num' }, formatNumber(page.events)))),
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
        el('td', {}, session.session_id),
        el('td', {}, session.user_id ?? '–'),
        el('td', {}, formatTime(session.last_event_at)),
        el('td', { className: 'num' }, session.event_count),
        el('td', {}, session.exit_page ?? '–'),
        el('td', {}, session.converted ? `yes (${formatNumber(session.revenue)})` : 'no'),
      ),
    ),
    'No active sessions.',
    6,
  );

  fillTable(
    'funnel',
    views.funnel.steps.map((step) =>
      el('tr', { 'data-step': step.eventType }, el('td', {}, step.eventType), el('td', { className: 'num' }, formatNumber(step.count)), el('td', { className: 'num' }, formatPercent(step.fromPrevious)), el('td', { className: 'num' }, formatPercent(step.fromFirst))),
    ),
    'No events.',
    4,
  );
  drawChart(document.getElementById('funnel-chart'), 'funnel', views.funnel.perMinute, false);

  fillTable(
    'alerts',
    views.alerts.map((alert) =>
      el(
        'tr',
        {},
        el('td', {}, formatTime(alert.incident_at)),
        el('td', {}, el('span', { className: `severity severity-${alert.severity}` }, alert.severity)),
        el('td', {}, alert.rule),
        el('td', {}, alert.subject_key),
        el('td', { className: 'num' }, `${formatNumber(alert.observed)} ${alert.comparison === 'below' ? '<' : '>'} ${formatNumber(alert.threshold)}`),
        el(
          'td',
          {},
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

function renderRanges(definition) {
  const nav = document.getElementById('ranges');
  nav.replaceChildren(
    ...definition.rangesMinutes.map((minutes) => {
      const button = el('button', { type: 'button', 'data-minutes': String(minutes), 'aria-pressed': String(minutes === state.minutes) }, rangeText(minutes));
      button.addEventListener('click', () => {
        state.minutes = minutes;
        for (const other of nav.querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === button));
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
      status.textContent = `live · updated ${new Date().toLocaleTimeString('en-GB', { hour12: false })}`;
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
  state.minutes = state.definition.defaultRangeMinutes;
  renderRanges(state.definition);
  renderWidgets(state.definition);
  window.addEventListener('resize', resizeCharts);
  await refresh();
}

start();
