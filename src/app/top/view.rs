//! The state of the `--top` screen and what keys do to it; and drawing it
//! into a ratatui frame. No terminal or kernel here: the tests draw into
//! ratatui's in-memory backend.

use super::model::{self, Line, Sort, SortKey, SvcRow, Widths};
use lvs::model::ServiceKey;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::HashSet;

/// What a key asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing more than redrawing.
    Redraw,
    /// Leave.
    Quit,
    /// Read the kernel now.
    Refresh,
}

/// The screen's state.
#[derive(Debug, Default)]
pub struct View {
    /// The rows of the last read, sorted.
    pub rows: Vec<SvcRow>,
    /// The lines shown.
    pub lines: Vec<Line>,
    /// The sort.
    pub sort: Sort,
    /// The filter applied.
    pub filter: String,
    /// The filter being typed after `/`, if it is.
    pub editing: Option<String>,
    /// Services shown without their real servers.
    pub collapsed: HashSet<ServiceKey>,
    /// The selected line.
    pub selected: usize,
    /// The first line shown.
    pub top: usize,
    /// Reads are paused.
    pub paused: bool,
    /// The help line is shown instead of the selected line's details.
    pub help: bool,
    /// The refresh interval, for the header.
    pub interval: f64,
    /// The read's error, if the last one failed.
    pub error: Option<String>,
    /// The service filter of the command line, for the header.
    pub only: Option<String>,
}

impl View {
    /// Take the rows of a new read.
    pub fn set_rows(&mut self, rows: Vec<SvcRow>) {
        let keep = self.selected_key();
        self.rows = rows;
        model::sort_rows(&mut self.rows, self.sort);
        self.relines(keep);
    }

    /// What the selected line shows, to keep it selected across changes.
    fn selected_key(&self) -> Option<(ServiceKey, Option<std::net::SocketAddr>)> {
        match self.lines.get(self.selected)? {
            Line::Service(i) | Line::Apart(i) => Some((self.rows.get(*i)?.key, None)),
            Line::Dest(i, j) => {
                let r = self.rows.get(*i)?;
                Some((r.key, Some(r.dests.get(*j)?.addr)))
            }
        }
    }

    fn relines(&mut self, keep: Option<(ServiceKey, Option<std::net::SocketAddr>)>) {
        self.lines = model::lines(&self.rows, &self.collapsed, &self.filter);
        if let Some((k, a)) = keep {
            let found = self.lines.iter().position(|l| match (*l, a) {
                (Line::Service(i), None) => self.rows[i].key == k,
                (Line::Dest(i, j), Some(a)) => {
                    self.rows[i].key == k && self.rows[i].dests[j].addr == a
                }
                _ => false,
            });
            if let Some(p) = found {
                self.selected = p;
            }
        }
        self.selected = self.selected.min(self.lines.len().saturating_sub(1));
    }

    /// Apply a key; `height` is the number of table lines on screen (for
    /// page up and down).
    pub fn key(&mut self, k: KeyEvent, height: usize) -> Action {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if let Some(text) = &mut self.editing {
            match k.code {
                KeyCode::Enter => {
                    self.filter = std::mem::take(text);
                    self.editing = None;
                }
                KeyCode::Esc => self.editing = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            let keep = self.selected_key();
            self.relines(keep);
            return Action::Redraw;
        }
        let last = self.lines.len().saturating_sub(1);
        match k.code {
            KeyCode::Char('q') | KeyCode::Char('Q') => return Action::Quit,
            KeyCode::Char(' ') => {
                self.paused = !self.paused;
                if !self.paused {
                    return Action::Refresh;
                }
            }
            KeyCode::Char('/') => self.editing = Some(self.filter.clone()),
            KeyCode::Esc => {
                let keep = self.selected_key();
                self.filter.clear();
                self.relines(keep);
            }
            KeyCode::Char('r') => {
                self.sort.descending = !self.sort.descending;
                self.resort();
            }
            KeyCode::Char('?') | KeyCode::Char('h') => self.help = !self.help,
            KeyCode::Enter | KeyCode::Char('+') | KeyCode::Char('-') | KeyCode::Tab => {
                if let Some(Line::Service(i) | Line::Dest(i, _) | Line::Apart(i)) =
                    self.lines.get(self.selected).copied()
                {
                    let key = self.rows[i].key;
                    if !self.collapsed.remove(&key) {
                        self.collapsed.insert(key);
                    }
                    self.relines(Some((key, None)));
                }
            }
            KeyCode::Char('x') => {
                let keep = self.selected_key().map(|(k, _)| (k, None));
                if self.collapsed.is_empty() {
                    self.collapsed = self.rows.iter().map(|r| r.key).collect();
                } else {
                    self.collapsed.clear();
                }
                self.relines(keep);
            }
            KeyCode::Char(c) => {
                if let Some(s) = SortKey::from_key(c) {
                    self.sort = self.sort.press(s);
                    self.resort();
                }
            }
            KeyCode::Down => self.selected = (self.selected + 1).min(last),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::PageDown => self.selected = (self.selected + height.max(1)).min(last),
            KeyCode::PageUp => self.selected = self.selected.saturating_sub(height.max(1)),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = last,
            _ => {}
        }
        Action::Redraw
    }

    fn resort(&mut self) {
        let keep = self.selected_key();
        model::sort_rows(&mut self.rows, self.sort);
        self.relines(keep);
    }

    /// Draw the screen: a header, the column titles, the table, and a last
    /// line with the selected real server's health, the filter being typed,
    /// or the keys.
    pub fn draw(&mut self, f: &mut Frame) {
        let area = f.area();
        let (w, h) = (area.width as usize, area.height as usize);
        let body = h.saturating_sub(3);
        self.top = model::scroll(self.lines.len(), body, self.selected, self.top);
        let longest = self
            .rows
            .iter()
            .map(|r| r.label.len() + 2)
            .max()
            .unwrap_or(0);
        let samples = self.rows.first().map_or(60, |r| r.history.len().max(60));
        let cols = model::widths(w, longest, samples);
        let mut text: Vec<TextLine> = Vec::with_capacity(h);
        text.push(TextLine::from(self.header(w)));
        text.push(TextLine::styled(
            titles(cols, self.sort),
            Style::default().add_modifier(Modifier::REVERSED),
        ));
        for (n, line) in self.lines.iter().enumerate().skip(self.top).take(body) {
            let mut t = self.line_text(*line, cols);
            let style = match line {
                Line::Service(_) => Style::default().add_modifier(Modifier::BOLD),
                Line::Apart(_) => Style::default().add_modifier(Modifier::DIM),
                Line::Dest(..) => Style::default(),
            };
            let style = if n == self.selected {
                style.add_modifier(Modifier::REVERSED)
            } else {
                style
            };
            pad(&mut t, w);
            text.push(TextLine::from(Span::styled(t, style)));
        }
        while text.len() + 1 < h {
            text.push(TextLine::from(""));
        }
        if h >= 2 {
            text.push(TextLine::from(self.footer(w)));
        }
        f.render_widget(Paragraph::new(text), area);
    }

    fn header(&self, w: usize) -> String {
        let dests: usize = self.rows.iter().map(|r| r.dests.len()).sum();
        let apart: usize = self
            .rows
            .iter()
            .flat_map(|r| &r.dests)
            .filter(|d| d.is_apart())
            .count();
        let mut s = format!("lvsadm --top  {}s  ", trim_num(self.interval));
        if self.paused {
            s.push_str("PAUSED  ");
        }
        if !self.filter.is_empty() {
            s.push_str(&format!("filter \"{}\"  ", self.filter));
        }
        if let Some(o) = &self.only {
            s.push_str(&format!("only {o}  "));
        }
        s.push_str(&format!(
            "sort {}{}  {} services, {} real servers ({} apart)",
            self.sort.key.word(),
            if self.sort.descending { "↓" } else { "↑" },
            self.rows.len(),
            dests,
            apart,
        ));
        cut(&mut s, w);
        s
    }

    fn footer(&self, w: usize) -> String {
        let mut s = if let Some(t) = &self.editing {
            format!("filter: {t}_  (Enter applies, Esc cancels)")
        } else if let Some(e) = &self.error {
            format!("error: {e}")
        } else if self.help {
            "q quit  space pause  / filter  Esc clear  sort: n w a i c p b s, r reverse  Enter collapse  x all  ↑↓ PgUp PgDn".to_string()
        } else {
            match self.lines.get(self.selected) {
                Some(Line::Dest(i, j)) => {
                    let d = &self.rows[*i].dests[*j];
                    let mut s = d.label.clone();
                    if let Some(hl) = &d.health {
                        s.push_str(&format!(" {}", hl.state));
                        if let Some(r) = &hl.reason {
                            s.push_str(&format!(": {r}"));
                        }
                    }
                    s.push_str(&format!(
                        "  packets in/out {}/{} per s  bytes in/out {}/{} per s",
                        model::human(d.rates.inpkts),
                        model::human(d.rates.outpkts),
                        model::human(d.rates.inbytes),
                        model::human(d.rates.outbytes),
                    ));
                    s
                }
                Some(Line::Service(i) | Line::Apart(i)) => {
                    let r = &self.rows[*i];
                    format!(
                        "{} {}  packets in/out {}/{} per s  bytes in/out {}/{} per s  ? keys",
                        r.label.split_whitespace().collect::<Vec<_>>().join(" "),
                        r.sched,
                        model::human(r.rates.inpkts),
                        model::human(r.rates.outpkts),
                        model::human(r.rates.inbytes),
                        model::human(r.rates.outbytes),
                    )
                }
                None if self.rows.is_empty() => "no services   ? keys".to_string(),
                None => "nothing matches the filter (Esc clears it)".to_string(),
            }
        };
        cut(&mut s, w);
        s
    }

    fn line_text(&self, line: Line, cols: Widths) -> String {
        match line {
            Line::Service(i) => {
                let r = &self.rows[i];
                let mark = if self.collapsed.contains(&r.key) {
                    '+'
                } else {
                    '-'
                };
                let name = format!("{mark} {}", r.label);
                row(
                    cols,
                    &name,
                    [
                        r.weight.to_string(),
                        model::count(r.active),
                        model::count(r.inactive),
                        model::human(r.rates.conns),
                        model::human(r.rates.pkts()),
                        model::human(r.rates.bytes()),
                        model::percent(r.share),
                        String::new(),
                    ],
                    &r.history,
                )
            }
            Line::Apart(_) => "    weight 0 or out of service:".to_string(),
            Line::Dest(i, j) => {
                let d = &self.rows[i].dests[j];
                let state = d.health.as_ref().map_or("", |h| h.state.as_str());
                row(
                    cols,
                    &format!("  -> {}", d.label),
                    [
                        d.weight.to_string(),
                        model::count(u64::from(d.active)),
                        model::count(u64::from(d.inactive)),
                        model::human(d.rates.conns),
                        model::human(d.rates.pkts()),
                        model::human(d.rates.bytes()),
                        model::percent(d.share),
                        state.to_string(),
                    ],
                    &d.history,
                )
            }
        }
    }
}

fn trim_num(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Cut to `w` characters.
fn cut(s: &mut String, w: usize) {
    if let Some((i, _)) = s.char_indices().nth(w) {
        s.truncate(i);
    }
}

/// Pad with spaces to `w` characters (cutting if longer).
fn pad(s: &mut String, w: usize) {
    cut(s, w);
    let n = s.chars().count();
    s.extend(std::iter::repeat(' ').take(w - n));
}

/// The column titles; the sorted one has an arrow after it.
pub fn titles(cols: Widths, sort: Sort) -> String {
    let names = [
        "Weight", "Active", "InAct", "CPS", "PPS", "BPS", "Share", "State",
    ];
    let keys = ['w', 'a', 'i', 'c', 'p', 'b', 's', ' '];
    let arrow = if sort.descending { '↓' } else { '↑' };
    let mut s = "Service/real server".to_string();
    if sort.key == SortKey::Name {
        s.push(arrow);
    }
    pad(&mut s, cols.name);
    for ((n, k), w) in names.iter().zip(keys).zip(model::FIXED) {
        if k == ' ' {
            s.push_str(&format!(" {n:<width$}", width = w - 1));
        } else if SortKey::from_key(k) == Some(sort.key) {
            s.push_str(&format!("{:>w$}", format!("{n}{arrow}")));
        } else {
            s.push_str(&format!("{n:>w$}"));
        }
    }
    if cols.history > 0 {
        let mut h = " PPS, last minute".to_string();
        pad(&mut h, cols.history + 1);
        s.push_str(&h);
    }
    s
}

/// One table row: the name, the fixed columns right-aligned (the state
/// left-aligned), the history.
pub fn row(cols: Widths, name: &str, fixed: [String; 8], history: &[f64]) -> String {
    let mut s = name.to_string();
    pad(&mut s, cols.name);
    for (k, (v, w)) in fixed.iter().zip(model::FIXED).enumerate() {
        let mut v = v.clone();
        cut(&mut v, w - 1);
        if k == 7 {
            s.push_str(&format!(" {v:<width$}", width = w - 1));
        } else {
            s.push_str(&format!("{v:>width$}", width = w));
        }
    }
    if cols.history > 0 {
        s.push(' ');
        s.push_str(&model::spark(history, cols.history));
    }
    s
}
