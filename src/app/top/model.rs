//! The pure part of `--top`: rates from two reads of the exact counters,
//! the rows of the view (services, their real servers, those at weight 0
//! or out of service apart), sorting, filtering, collapsing, the window
//! that scrolls over them, the columns that fit a width, and the text of
//! numbers and sparklines. Nothing here reads the kernel or the terminal.

use lvs::model::{Dest, Service, ServiceKey, Stats};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;

/// Rates per second between two reads of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Connections per second.
    pub conns: f64,
    /// Packets per second in.
    pub inpkts: f64,
    /// Packets per second out.
    pub outpkts: f64,
    /// Bytes per second in.
    pub inbytes: f64,
    /// Bytes per second out.
    pub outbytes: f64,
}

impl Rates {
    /// Packets per second, both ways.
    pub fn pkts(&self) -> f64 {
        self.inpkts + self.outpkts
    }

    /// Bytes per second, both ways.
    pub fn bytes(&self) -> f64 {
        self.inbytes + self.outbytes
    }

    fn add(&mut self, o: &Rates) {
        self.conns += o.conns;
        self.inpkts += o.inpkts;
        self.outpkts += o.outpkts;
        self.inbytes += o.inbytes;
        self.outbytes += o.outbytes;
    }
}

/// The rates between the counters `prev` and `cur`, read `secs` seconds
/// apart. A counter that went down (zeroed with `-Z`, or the entry deleted
/// and added again) gives 0 for that period, not a negative rate.
pub fn rates(prev: &Stats, cur: &Stats, secs: f64) -> Rates {
    if secs <= 0.0 {
        return Rates::default();
    }
    let r = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
    Rates {
        conns: r(prev.conns, cur.conns),
        inpkts: r(prev.inpkts, cur.inpkts),
        outpkts: r(prev.outpkts, cur.outpkts),
        inbytes: r(prev.inbytes, cur.inbytes),
        outbytes: r(prev.outbytes, cur.outbytes),
    }
}

/// A real server's health as the supervisor publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// `up`, `down`, `drain`, `maint`, `slow-start` or `static`.
    pub state: String,
    /// The last check's result, if any.
    pub reason: Option<String>,
}

impl Health {
    /// Whether the supervisor keeps this real server out of service.
    pub fn is_out(&self) -> bool {
        matches!(self.state.as_str(), "down" | "drain" | "maint")
    }
}

/// Health by service (as `ServiceKey`'s text, `-t 192.0.2.1:80`) and real
/// server address.
pub type HealthMap = HashMap<(String, SocketAddr), Health>;

/// Read the supervisor's `supervise.json` text; `None` if it is not one.
pub fn parse_health(text: &str) -> Option<HealthMap> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut map = HealthMap::new();
    for s in v.get("services")?.as_array()? {
        let Some(svc) = s.get("service").and_then(|x| x.as_str()) else {
            continue;
        };
        for d in s
            .get("servers")
            .and_then(|x| x.as_array())
            .into_iter()
            .flatten()
        {
            let addr = d.get("server").and_then(|x| x.as_str());
            let Some(addr) = addr.and_then(|a| a.parse::<SocketAddr>().ok()) else {
                continue;
            };
            let state = d.get("state").and_then(|x| x.as_str()).unwrap_or("?");
            let reason = d.get("last").and_then(|x| x.as_str()).map(str::to_string);
            map.insert(
                (svc.to_string(), addr),
                Health {
                    state: state.to_string(),
                    reason,
                },
            );
        }
    }
    Some(map)
}

/// One real server's row.
#[derive(Debug, Clone, PartialEq)]
pub struct DestRow {
    /// Its address.
    pub addr: SocketAddr,
    /// `198.51.100.1:80` or `[2001:db8::1]:80`.
    pub label: String,
    /// Weight in the table.
    pub weight: i32,
    /// Active connections.
    pub active: u32,
    /// Inactive connections.
    pub inactive: u32,
    /// Rates since the previous read (zero on the first).
    pub rates: Rates,
    /// Share of the service's traffic (bytes both ways), 0 to 1; `None`
    /// while the service carries none.
    pub share: Option<f64>,
    /// The supervisor's word on it.
    pub health: Option<Health>,
    /// Packets per second of the last reads, oldest first.
    pub history: Vec<f64>,
}

impl DestRow {
    /// Shown apart from the real servers in service: weight 0, or kept out
    /// by the supervisor.
    pub fn is_apart(&self) -> bool {
        self.weight == 0 || self.health.as_ref().is_some_and(Health::is_out)
    }
}

/// One service's row and its real servers.
#[derive(Debug, Clone, PartialEq)]
pub struct SvcRow {
    /// Its key.
    pub key: ServiceKey,
    /// The listing's label (`TCP  192.0.2.1:80`).
    pub label: String,
    /// The scheduler.
    pub sched: String,
    /// Its position in `-Ln`'s order.
    pub order: usize,
    /// Sum of the real servers' weights.
    pub weight: i64,
    /// Sum of the real servers' active connections.
    pub active: u64,
    /// Sum of the real servers' inactive connections.
    pub inactive: u64,
    /// The service's own rates.
    pub rates: Rates,
    /// Share of the traffic of every service shown.
    pub share: Option<f64>,
    /// Packets per second of the last reads, oldest first.
    pub history: Vec<f64>,
    /// In service first, then those apart; each part in the sort order.
    pub dests: Vec<DestRow>,
}

/// The counters of the previous read and the history of each row.
#[derive(Debug, Default)]
pub struct Tracker {
    prev_svc: HashMap<ServiceKey, Stats>,
    prev_dest: HashMap<(ServiceKey, SocketAddr), Stats>,
    hist_svc: HashMap<ServiceKey, VecDeque<f64>>,
    hist_dest: HashMap<(ServiceKey, SocketAddr), VecDeque<f64>>,
    /// Samples kept per row.
    pub keep: usize,
}

fn push(h: &mut VecDeque<f64>, v: f64, keep: usize) -> Vec<f64> {
    h.push_back(v);
    while h.len() > keep {
        h.pop_front();
    }
    h.iter().copied().collect()
}

impl Tracker {
    /// A tracker keeping a minute of samples at `interval_secs`.
    pub fn new(interval_secs: f64) -> Tracker {
        let keep = (60.0 / interval_secs.max(0.1)).ceil() as usize;
        Tracker {
            keep: keep.clamp(2, 600),
            ..Tracker::default()
        }
    }

    /// The rows of a read made `secs` seconds after the previous one
    /// (`None` for the first read: rates are zero and no history starts).
    /// `table` is in `-Ln`'s order. Entries gone from the table are
    /// forgotten.
    pub fn update(
        &mut self,
        table: &[(Service, Vec<Dest>)],
        secs: Option<f64>,
        health: &HealthMap,
    ) -> Vec<SvcRow> {
        let keep = self.keep;
        let mut prev_svc = HashMap::with_capacity(table.len());
        let mut prev_dest = HashMap::new();
        let mut hist_svc = HashMap::with_capacity(table.len());
        let mut hist_dest = HashMap::new();
        let mut rows = Vec::with_capacity(table.len());
        for (order, (s, dests)) in table.iter().enumerate() {
            let key = s.key();
            let key_text = key.to_string();
            let rate_of = |prev: Option<&Stats>, cur: &Stats| match (prev, secs) {
                (Some(p), Some(t)) => Some(rates(p, cur, t)),
                _ => None,
            };
            let svc_rates = rate_of(self.prev_svc.get(&key), &s.stats);
            let mut h = self.hist_svc.remove(&key).unwrap_or_default();
            let history = match svc_rates {
                Some(r) => push(&mut h, r.pkts(), keep),
                None => h.iter().copied().collect(),
            };
            hist_svc.insert(key, h);
            prev_svc.insert(key, s.stats);
            let mut drows = Vec::with_capacity(dests.len());
            for d in dests {
                let addr = d.socket_addr();
                let dk = (key, addr);
                let r = rate_of(self.prev_dest.get(&dk), &d.stats);
                let mut h = self.hist_dest.remove(&dk).unwrap_or_default();
                let history = match r {
                    Some(r) => push(&mut h, r.pkts(), keep),
                    None => h.iter().copied().collect(),
                };
                hist_dest.insert(dk, h);
                prev_dest.insert(dk, d.stats);
                drows.push(DestRow {
                    addr,
                    label: dest_label(addr),
                    weight: d.weight,
                    active: d.active_conns,
                    inactive: d.inact_conns,
                    rates: r.unwrap_or_default(),
                    share: None,
                    health: health.get(&(key_text.clone(), addr)).cloned(),
                    history,
                });
            }
            let total: f64 = drows.iter().map(|d| d.rates.bytes()).sum();
            for d in &mut drows {
                d.share = (total > 0.0).then(|| d.rates.bytes() / total);
            }
            rows.push(SvcRow {
                key,
                label: crate::format::service_label(s, crate::format::Names::Numeric),
                sched: s.sched_name.clone(),
                order,
                weight: drows.iter().map(|d| i64::from(d.weight)).sum(),
                active: drows.iter().map(|d| u64::from(d.active)).sum(),
                inactive: drows.iter().map(|d| u64::from(d.inactive)).sum(),
                rates: svc_rates.unwrap_or_default(),
                share: None,
                history,
                dests: drows,
            });
        }
        let mut all = Rates::default();
        rows.iter().for_each(|r| all.add(&r.rates));
        for r in &mut rows {
            r.share = (all.bytes() > 0.0).then(|| r.rates.bytes() / all.bytes());
        }
        self.prev_svc = prev_svc;
        self.prev_dest = prev_dest;
        self.hist_svc = hist_svc;
        self.hist_dest = hist_dest;
        rows
    }
}

/// `198.51.100.1:80`, `[2001:db8::1]:80`.
pub fn dest_label(a: SocketAddr) -> String {
    a.to_string()
}

/// The columns one can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `-Ln`'s order (services), address (real servers).
    Name,
    /// Weight.
    Weight,
    /// Active connections.
    Active,
    /// Inactive connections.
    Inactive,
    /// Connections per second.
    Conns,
    /// Packets per second.
    Packets,
    /// Bytes per second.
    Bytes,
    /// Share of the traffic.
    Share,
}

impl SortKey {
    /// The key that sorts by it.
    pub fn from_key(c: char) -> Option<SortKey> {
        Some(match c {
            'n' => SortKey::Name,
            'w' => SortKey::Weight,
            'a' => SortKey::Active,
            'i' => SortKey::Inactive,
            'c' => SortKey::Conns,
            'p' => SortKey::Packets,
            'b' => SortKey::Bytes,
            's' => SortKey::Share,
            _ => return None,
        })
    }

    /// Its name in the header.
    pub fn word(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Weight => "weight",
            SortKey::Active => "active",
            SortKey::Inactive => "inactive",
            SortKey::Conns => "CPS",
            SortKey::Packets => "PPS",
            SortKey::Bytes => "BPS",
            SortKey::Share => "share",
        }
    }

    /// Names sort ascending first, numbers largest first.
    pub fn default_descending(self) -> bool {
        self != SortKey::Name
    }
}

/// A sort: the column and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub key: SortKey,
    /// Largest first.
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::Name,
            descending: false,
        }
    }
}

impl Sort {
    /// The sort after pressing `key`'s key: that column in its usual
    /// direction, or the other direction if it was already the column.
    pub fn press(self, key: SortKey) -> Sort {
        if self.key == key {
            Sort {
                key,
                descending: !self.descending,
            }
        } else {
            Sort {
                key,
                descending: key.default_descending(),
            }
        }
    }
}

fn cmp_f(a: f64, b: f64) -> std::cmp::Ordering {
    a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
}

/// Sort the services and, within each, the real servers (those in service
/// first, then those apart, each part in the same order). Ties keep
/// `-Ln`'s order.
pub fn sort_rows(rows: &mut [SvcRow], sort: Sort) {
    use std::cmp::Ordering;
    let dir = |o: Ordering| if sort.descending { o.reverse() } else { o };
    rows.sort_by(|a, b| {
        let o = match sort.key {
            SortKey::Name => Ordering::Equal,
            SortKey::Weight => a.weight.cmp(&b.weight),
            SortKey::Active => a.active.cmp(&b.active),
            SortKey::Inactive => a.inactive.cmp(&b.inactive),
            SortKey::Conns => cmp_f(a.rates.conns, b.rates.conns),
            SortKey::Packets => cmp_f(a.rates.pkts(), b.rates.pkts()),
            SortKey::Bytes => cmp_f(a.rates.bytes(), b.rates.bytes()),
            SortKey::Share => cmp_f(a.share.unwrap_or(0.0), b.share.unwrap_or(0.0)),
        };
        dir(o).then(dir(a.order.cmp(&b.order)))
    });
    for r in rows {
        r.dests.sort_by(|a, b| {
            let o = match sort.key {
                SortKey::Name => a.addr.cmp(&b.addr),
                SortKey::Weight => a.weight.cmp(&b.weight),
                SortKey::Active => a.active.cmp(&b.active),
                SortKey::Inactive => a.inactive.cmp(&b.inactive),
                SortKey::Conns => cmp_f(a.rates.conns, b.rates.conns),
                SortKey::Packets => cmp_f(a.rates.pkts(), b.rates.pkts()),
                SortKey::Bytes => cmp_f(a.rates.bytes(), b.rates.bytes()),
                SortKey::Share => cmp_f(a.share.unwrap_or(0.0), b.share.unwrap_or(0.0)),
            };
            a.is_apart()
                .cmp(&b.is_apart())
                .then(dir(o))
                .then(a.addr.cmp(&b.addr))
        });
    }
}

/// One line of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// The service `rows[i]`.
    Service(usize),
    /// The heading above the real servers of `rows[i]` shown apart.
    Apart(usize),
    /// The real server `rows[i].dests[j]`.
    Dest(usize, usize),
}

/// The lines of the table: each service, unless collapsed its real servers
/// (in service, then a heading and those apart). With a filter (case
/// insensitive, part of a label or a health state), a service whose label
/// matches shows all its real servers, another one only those that match,
/// and a service with neither is left out.
pub fn lines(rows: &[SvcRow], collapsed: &HashSet<ServiceKey>, filter: &str) -> Vec<Line> {
    let filter = filter.to_lowercase();
    let matches = |s: &str| s.to_lowercase().contains(&filter);
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let svc_match = filter.is_empty() || matches(&r.label) || matches(&r.sched);
        let shown: Vec<usize> = (0..r.dests.len())
            .filter(|&j| {
                let d = &r.dests[j];
                svc_match
                    || matches(&d.label)
                    || d.health.as_ref().is_some_and(|h| matches(&h.state))
            })
            .collect();
        if !svc_match && shown.is_empty() {
            continue;
        }
        out.push(Line::Service(i));
        if collapsed.contains(&r.key) {
            continue;
        }
        let mut apart = false;
        for j in shown {
            if r.dests[j].is_apart() && !apart {
                apart = true;
                out.push(Line::Apart(i));
            }
            out.push(Line::Dest(i, j));
        }
    }
    out
}

/// The first line shown in a window of `height` lines over `len` lines so
/// that `selected` is in it, moving the previous `top` as little as
/// possible.
pub fn scroll(len: usize, height: usize, selected: usize, top: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    let top = top.min(len - height);
    if selected < top {
        selected
    } else if selected >= top + height {
        selected + 1 - height
    } else {
        top
    }
}

/// Width of every column but the name and the history, with the space
/// before each: weight, active, inactive, conn/s, pkt/s, byte/s, share,
/// state.
pub const FIXED: [usize; 8] = [7, 7, 7, 6, 6, 6, 6, 7];

/// The widths of the name and the history for a screen `width` columns
/// wide whose longest name is `longest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Widths {
    /// The name column.
    pub name: usize,
    /// The history (sparkline) column, without the space before it; 0 when
    /// there is no room.
    pub history: usize,
}

/// The narrowest name column.
pub const MIN_NAME: usize = 20;

/// Columns for a screen `width` wide: the fixed ones, the name as wide as
/// the longest (within 20 to 48 columns), the history in what is left (up
/// to one bar per sample of the minute), then the rest to the name.
pub fn widths(width: usize, longest: usize, samples: usize) -> Widths {
    let fixed: usize = FIXED.iter().sum();
    let avail = width.saturating_sub(fixed);
    let want = longest.clamp(MIN_NAME, 48);
    if avail < want + 5 {
        // the history keeps four bars while the name can have its minimum
        return if avail >= MIN_NAME + 5 {
            Widths {
                name: avail - 5,
                history: 4,
            }
        } else {
            Widths {
                name: avail.max(1),
                history: 0,
            }
        };
    }
    let history = (avail - want - 1).min(samples.max(4));
    Widths {
        name: avail - history - 1,
        history,
    }
}

/// A rate in at most five columns: `0`, `0.5`, `9.5`, `120`, `12.5K`,
/// `125K`, `1.2M`...
pub fn human(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return "0".into();
    }
    if v < 9.95 {
        let s = format!("{v:.1}");
        return s.strip_suffix(".0").map(str::to_string).unwrap_or(s);
    }
    if v < 999.5 {
        return format!("{v:.0}");
    }
    let mut v = v;
    for unit in ["K", "M", "G", "T", "P"] {
        v /= 1000.0;
        if v < 9.95 {
            return format!("{v:.1}{unit}");
        }
        if v < 999.5 {
            return format!("{v:.0}{unit}");
        }
    }
    format!("{v:.0}E")
}

/// A count in at most six columns (exact below a million).
pub fn count(v: u64) -> String {
    if v < 1_000_000 {
        v.to_string()
    } else {
        human(v as f64)
    }
}

/// A share as a percentage: `-` when there is no traffic, `100%`, `33.3%`.
pub fn percent(s: Option<f64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s >= 0.9995 => "100%".into(),
        Some(s) => format!("{:.1}%", s * 100.0),
    }
}

/// The last `width` values as a sparkline, scaled to the largest of them:
/// eight heights, a blank for zero; padded on the left while the history
/// is shorter than the width.
pub fn spark(values: &[f64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let shown = &values[values.len().saturating_sub(width)..];
    let max = shown.iter().copied().fold(0.0_f64, f64::max);
    let mut s = " ".repeat(width - shown.len());
    for &v in shown {
        if v <= 0.0 || max <= 0.0 {
            s.push(' ');
        } else {
            let level = ((v / max) * 8.0).ceil() as usize;
            s.push(BARS[level.clamp(1, 8) - 1]);
        }
    }
    s
}
