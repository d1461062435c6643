/** The console's stylesheet, served at `<base>/console.css` (the Content-Security-Policy allows no inline style). */
export const STYLESHEET = `
:root { --ink: #1d2430; --muted: #5b6576; --line: #d9dee7; --bg: #f6f7f9; --done: #2f9e66; --running: #3b7dd8;
  --pending: #8a63d2; --failed: #e08a1e; --dead: #d64545; --quarantined: #6b7280; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: .25rem 2rem; align-items: baseline; padding: .75rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
header nav a { margin-right: 1rem; color: var(--muted); text-decoration: none; }
header nav a[aria-current="page"] { color: var(--ink); font-weight: 600; }
main { padding: 1rem 1.5rem 3rem; max-width: 1200px; }
h1 { font-size: 1.3rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.75rem 0 .5rem; }
section.cards { display: flex; flex-wrap: wrap; gap: .75rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; min-width: 9rem; }
.card b { display: block; font-size: 1.4rem; }
.card a { color: inherit; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #fbfbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; word-break: break-all; }
.status { display: inline-block; padding: 0 .45rem; border-radius: 3px; color: #fff; font-size: 12px; }
.status-done { background: var(--done); } .status-running { background: var(--running); } .status-pending { background: var(--pending); }
.status-failed { background: var(--failed); } .status-dead { background: var(--dead); } .status-quarantined { background: var(--quarantined); }
.flag { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: 12px; border: 1px solid var(--line); }
.flag-stale { border-color: var(--failed); color: #8a4f00; } .flag-conflict { border-color: var(--dead); color: #8e1f1f; }
.muted { color: var(--muted); }
.error { color: #8e1f1f; }
td.error { min-width: 14rem; word-break: normal; overflow-wrap: anywhere; }
.notice { background: #fff; border-left: 4px solid var(--running); padding: .5rem .8rem; margin: .5rem 0 1rem; }
.notice.bad { border-color: var(--dead); }
form.search { display: flex; gap: .5rem; align-items: end; margin: .5rem 0 1rem; flex-wrap: wrap; }
form.search label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
input[name="tokenRef"] { min-width: min(22rem, 100%); }
form.search label { max-width: 100%; }
button { cursor: pointer; background: var(--ink); color: #fff; border-color: var(--ink); }
form.inline { display: inline; margin: 0; }
form.bulk { display: block; margin: 0 0 .5rem; }
form.confirm { margin: .75rem 0 1rem; }
form.confirm a { margin-left: .75rem; }
svg.chart { background: #fff; border: 1px solid var(--line); width: 100%; height: auto; }
svg.chart text { font-size: 10px; fill: var(--muted); }
svg.chart line { stroke: var(--line); }
.fill-done { fill: var(--done); } .fill-running { fill: var(--running); } .fill-pending { fill: var(--pending); }
.fill-failed { fill: var(--failed); } .fill-dead { fill: var(--dead); } .fill-quarantined { fill: var(--quarantined); }
.legend span { margin-right: 1rem; font-size: 12px; } .legend i { display: inline-block; width: .7rem; height: .7rem; margin-right: .3rem; }
.legend .key-done { background: var(--done); } .legend .key-running { background: var(--running); } .legend .key-pending { background: var(--pending); }
.legend .key-failed { background: var(--failed); } .legend .key-dead { background: var(--dead); } .legend .key-quarantined { background: var(--quarantined); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; background: #fff; border: 1px solid var(--line); padding: .75rem 1rem; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; min-width: 0; }
pre.payload { background: #fff; border: 1px solid var(--line); padding: .75rem 1rem; overflow: auto; max-height: 40rem; font-size: 12.5px; }
nav.pager { margin: .75rem 0; }
/* A phone held upright: tables scroll sideways inside themselves, not the page; facts stack, label above value. */
@media (max-width: 720px) {
  header { gap: .25rem 1rem; padding: .6rem 1rem; }
  main { padding: .75rem 1rem 2rem; }
  table { display: block; overflow-x: auto; }
  th, td { white-space: nowrap; }
  td.error { white-space: normal; min-width: 22rem; }
  dl.facts { grid-template-columns: minmax(0, 1fr); }
  dl.facts dd { margin-bottom: .35rem; }
}
`;
