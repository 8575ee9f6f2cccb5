//! Man pages, shell completions and the help for lvsadm's own options, all
//! made from the clap definition in [`super::options`].
//!
//! Reached through two words ipvsadm rejects as unknown options, and only
//! as the first argument, so that nothing here runs (or costs anything) for
//! ordinary command lines:
//!
//! * `--help-extensions`: lvsadm's own options (`-h`/`--help` print
//!   ipvsadm's text, byte for byte, and cannot mention them).
//! * `--generate KIND`: `man`, `man-save`, `man-restore` (roff on standard
//!   output), `complete-bash`, `complete-zsh`, `complete-fish`.

use super::options;
use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Command, ValueHint};
use std::io::Write;

/// The schedulers of the kernel (`-s`), without `none`.
pub static SCHEDULERS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    lvs::model::SCHEDULERS
        .iter()
        .copied()
        .filter(|s| *s != "none")
        .collect()
});
/// The scheduler flags (`-b`, comma-separated): the generic names, then
/// those of `sh` and `mh`.
pub static SCHED_FLAGS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut v: Vec<&str> = Vec::new();
    for sched in ["", "sh", "mh"] {
        v.extend(
            lvs::model::sched_flag_names(sched)
                .iter()
                .filter(|n| !n.is_empty()),
        );
    }
    v
});
/// What `--generate` makes.
pub const KINDS: &[&str] = &[
    "man",
    "docs-options",
    "man-save",
    "man-restore",
    "complete-bash",
    "complete-zsh",
    "complete-fish",
];

/// Argument ids by man page section; every other id is an ordinary option.
const COMMANDS: &[&str] = &[
    "add-service",
    "edit-service",
    "delete-service",
    "clear",
    "restore",
    "save",
    "add-server",
    "edit-server",
    "delete-server",
    "list",
    "list-l",
    "zero",
    "set",
    "start-daemon",
    "stop-daemon",
    "help",
    "version",
];
const SERVICES: &[&str] = &[
    "tcp-service",
    "udp-service",
    "sctp-service",
    "fwmark-service",
];
const DAEMON: &[&str] = &[
    "syncid",
    "sync-maxlen",
    "mcast-interface",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
];
/// The prefix of the help text of lvsadm's own options in [`options`].
const EXT_PREFIX: &str = "lvsadm: ";

/// The two words handled here, defined once (they are not part of the
/// ipvsadm grammar in [`options`], so popt's walk never sees them).
fn own_words() -> [Arg; 2] {
    [
        Arg::new("help-extensions")
            .long("help-extensions")
            .action(ArgAction::SetTrue)
            .help("lvsadm: print lvsadm's own options (this list); -h prints ipvsadm's usage text unchanged"),
        Arg::new("generate")
            .long("generate")
            .action(ArgAction::Set)
            .num_args(1)
            .value_name("KIND")
            .value_parser(PossibleValuesParser::new(KINDS))
            .help("lvsadm: print a manual page or a shell completion script (first argument only)"),
    ]
}

/// Handles `--help-extensions` and `--generate` when they are the first
/// argument; `None` for every other command line.
pub fn early(program: &str, args: &[String]) -> Option<i32> {
    let first = args.first()?;
    if first == "--help-extensions" {
        return Some(finish(print_extensions(&mut std::io::stdout().lock())));
    }
    let kind = if first == "--generate" {
        args.get(1).map(String::as_str)
    } else {
        Some(first.strip_prefix("--generate=")?)
    };
    let max = if first == "--generate" { 2 } else { 1 };
    match kind {
        Some(k) if KINDS.contains(&k) && args.len() == max => {
            let mut out = std::io::stdout().lock();
            Some(finish(generate(k, &mut out).and_then(|_| out.flush())))
        }
        _ => {
            eprintln!(
                "{program}: --generate takes one of: {} (and nothing else)",
                KINDS.join(", ")
            );
            Some(2)
        }
    }
}

fn finish(r: std::io::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("lvsadm: {e}");
            1
        }
    }
}

/// Write one generated file.
pub fn generate<W: Write>(kind: &str, out: &mut W) -> std::io::Result<()> {
    match kind {
        "man" => man_lvsadm(out),
        "docs-options" => out.write_all(docs_options().as_bytes()),
        "man-save" => man_entry(out, Entry::Save),
        "man-restore" => man_entry(out, Entry::Restore),
        "complete-bash" => out.write_all(bash().as_bytes()),
        "complete-zsh" => out.write_all(zsh().as_bytes()),
        "complete-fish" => out.write_all(fish().as_bytes()),
        _ => Err(std::io::Error::other(format!("unknown kind {kind}"))),
    }
}

fn is_extension(a: &Arg) -> bool {
    a.get_help()
        .is_some_and(|h| h.to_string().starts_with(EXT_PREFIX))
}

/// The clap definition as documentation sees it: named `lvsadm`, the
/// section headings, the value lists of the options that have one, the
/// file hints, and lvsadm's two own words.
pub fn annotated() -> Command {
    let mut cmd = options::command()
        .name("lvsadm")
        .bin_name("lvsadm")
        .version(env!("CARGO_PKG_VERSION"))
        .args(own_words());
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(&id, |a| {
            let heading = if COMMANDS.contains(&id.as_str()) {
                "Commands"
            } else if SERVICES.contains(&id.as_str()) {
                "Virtual service"
            } else if DAEMON.contains(&id.as_str()) {
                "Sync daemon options"
            } else if is_extension(&a) {
                "lvsadm extensions"
            } else {
                "Options"
            };
            let a = match a.get_help().map(|h| h.to_string()) {
                Some(h) if h.starts_with(EXT_PREFIX) => a.help(h[EXT_PREFIX.len()..].to_string()),
                _ => a,
            };
            let a = a.help_heading(heading);
            match id.as_str() {
                "scheduler" => {
                    a.value_parser(PossibleValuesParser::new(SCHEDULERS.iter().copied()))
                }
                "pe" => a.value_parser(PossibleValuesParser::new(["sip"])),
                "tun-type" => a.value_parser(PossibleValuesParser::new(["ipip", "gue", "gre"])),
                "start-daemon" | "stop-daemon" => {
                    a.value_parser(PossibleValuesParser::new(["master", "backup"]))
                }
                "apply" | "check" => a.value_hint(ValueHint::FilePath),
                "real-server" => a.value_hint(ValueHint::Hostname),
                _ => a,
            }
        });
    }
    cmd
}

/// lvsadm's own options, in the order of the definition: how each is
/// written (`-j, --json`, `--apply FILE`, `--drain[=SECS]`) and its help.
/// The one source of `--help-extensions`, the man page's LVSADM EXTENSIONS
/// section and docs/options.md.
pub fn extensions() -> Vec<(String, String)> {
    options::command()
        .args(own_words())
        .get_arguments()
        .filter(|a| is_extension(a))
        .map(|a| {
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            let help = help.strip_prefix(EXT_PREFIX).unwrap_or(&help).to_string();
            (spelling(a), help)
        })
        .collect()
}

/// `-j, --json`, `--apply FILE`, `--drain[=SECS]`.
fn spelling(a: &Arg) -> String {
    let mut head = String::new();
    if let Some(s) = a.get_short() {
        head.push_str(&format!("-{s}, "));
    }
    if let Some(l) = a.get_long() {
        head.push_str(&format!("--{l}"));
    }
    if let Some(v) = a.get_value_names().and_then(|v| v.first()) {
        match options::takes(a) {
            options::Takes::Attached => head.push_str(&format!("[={v}]")),
            options::Takes::Optional => head.push_str(&format!(" [{v}]")),
            _ => head.push_str(&format!(" {v}")),
        }
    }
    head
}

/// `--help-extensions`.
pub fn print_extensions<W: Write>(out: &mut W) -> std::io::Result<()> {
    writeln!(
        out,
        "lvsadm {}: the options lvsadm has beyond ipvsadm's (see lvsadm -h for those)",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out)?;
    for (head, help) in extensions() {
        writeln!(out, "  {head}")?;
        for line in wrap(&help, 70) {
            writeln!(out, "        {line}")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "Called as ipvsadm-save or ipvsadm-restore (or lvsadm-save, lvsadm-restore),\n\
         lvsadm behaves like the scripts of those names.\n\
         The manual: man lvsadm (or lvsadm --generate man | man -l -)."
    )
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("never empty");
        if !last.is_empty() && last.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

const MAN_DATE: &str = "2026-11-30";
const MAN_MANUAL: &str = "System Administration";

fn title(name: &str) -> String {
    format!(
        ".TH {} 8 \"{MAN_DATE}\" \"lvsadm {}\" \"{MAN_MANUAL}\"\n",
        name.to_uppercase(),
        env!("CARGO_PKG_VERSION")
    )
}

/// Text for roff: `\` and `-` escaped, a leading `.` or `'` guarded.
fn roff_text(t: &str) -> String {
    let t = t.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// The man page's LVSADM EXTENSIONS section, from [`extensions`]: each
/// option as `--help-extensions` spells it, in bold.
fn man_extensions() -> String {
    let mut s = String::from(".SH \"LVSADM EXTENSIONS\"\n");
    for (head, help) in extensions() {
        s.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_text(&head),
            roff_text(&help)
        ));
    }
    s
}

/// `lvsadm(8)`: title, name and synopsis written here, ipvsadm's options
/// from the clap definition (clap_mangen), lvsadm's own from
/// [`extensions`], then the hand-written sections.
fn man_lvsadm<W: Write>(out: &mut W) -> std::io::Result<()> {
    out.write_all(title("lvsadm").as_bytes())?;
    out.write_all(include_str!("man/lvsadm-head.roff").as_bytes())?;
    let mut cmd = annotated();
    let ext: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_help_heading() == Some("lvsadm extensions"))
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ext {
        cmd = cmd.mut_arg(&id, |a| a.hide(true));
    }
    clap_mangen::Man::new(cmd).render_options_section(out)?;
    out.write_all(man_extensions().as_bytes())?;
    writeln!(
        out,
        ".SH VERSION\nThis page is of \\fBlvsadm\\fR {v}; \\fBlvsadm \\-\\-help\\-extensions\\fR \
         names the version installed on its first line.\n\
         \\fBlvsadm \\-v\\fR (\\fB\\-\\-version\\fR) prints the version line of the \
         \\fBipvsadm\\fR it replaces, as scripts expect.",
        v = env!("CARGO_PKG_VERSION")
    )?;
    out.write_all(include_str!("man/lvsadm-tail.roff").as_bytes())
}

/// docs/options.md: lvsadm's own options as a Markdown table, from
/// [`extensions`] (a unit test checks that the file is this text).
pub fn docs_options() -> String {
    let mut s = format!(
        "# lvsadm's own options\n\n\
         The options lvsadm has beyond ipvsadm's (lvsadm {}), as \
         `lvsadm --help-extensions` and the LVSADM EXTENSIONS section of \
         `man lvsadm` list them; ipvsadm's options are in `lvsadm -h` and the \
         manual page. This file is made by `lvsadm --generate docs-options`.\n\n\
         | option | what it does |\n| --- | --- |\n",
        env!("CARGO_PKG_VERSION")
    );
    for (head, help) in extensions() {
        s.push_str(&format!("| `{}` | {} |\n", head, help.replace('|', "\\|")));
    }
    s
}

#[derive(Clone, Copy)]
enum Entry {
    Save,
    Restore,
}

/// `lvsadm-save(8)` and `lvsadm-restore(8)`; their options are the words
/// the entry points accept (`-n` for the save script, none for restore).
fn man_entry<W: Write>(out: &mut W, e: Entry) -> std::io::Result<()> {
    let (name, text) = match e {
        Entry::Save => ("lvsadm-save", include_str!("man/lvsadm-save.roff")),
        Entry::Restore => ("lvsadm-restore", include_str!("man/lvsadm-restore.roff")),
    };
    out.write_all(title(name).as_bytes())?;
    out.write_all(text.as_bytes())
}

/// clap_complete has no hook for a custom value function in zsh and fish,
/// so the options whose values come from the system are marked with value
/// hints no other option uses, and the generated script's call for that
/// hint is replaced by a function of ours.
fn for_completion() -> Command {
    let mut cmd = annotated();
    for id in SERVICES {
        cmd = cmd.mut_arg(*id, |a| a.value_hint(ValueHint::Hostname));
    }
    cmd.mut_arg("real-server", |a| a.value_hint(ValueHint::Unknown))
        .mut_arg("netns", |a| a.value_hint(ValueHint::Username))
        .mut_arg("sched-flags", |a| a.value_hint(ValueHint::CommandName))
}

fn clap_script(shell: clap_complete::Shell) -> String {
    let mut cmd = for_completion();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "lvsadm", &mut buf);
    String::from_utf8(buf).expect("clap_complete writes UTF-8")
}

/// bash: clap's function for options and value lists, behind a function of
/// ours for the values that come from the system (live services, namespaces)
/// and for the comma-separated scheduler flags.
pub fn bash() -> String {
    let generated = clap_script(clap_complete::Shell::Bash);
    let mut s =
        String::from("# bash completion for lvsadm (made by lvsadm --generate complete-bash)\n");
    // clap's registration (an if/else by bash version around `complete -F
    // _lvsadm`) is left out: ours, at the end, registers our function.
    let body = match generated.find("\nif [[ \"${BASH_VERSINFO") {
        Some(end) => &generated[..end + 1],
        None => panic!("clap's bash script changed shape"),
    };
    assert!(body.contains("_lvsadm() {") && !body.contains("complete -F"));
    s.push_str(body);
    s.push_str(
        &include_str!("complete/lvsadm.bash").replace("@SCHED_FLAGS@", &SCHED_FLAGS.join(" ")),
    );
    s
}

fn replace_once(s: &str, from: &str, to: &str) -> String {
    assert!(s.contains(from), "generated script lacks {from}");
    s.replace(from, to)
}

/// The zsh completion script.
pub fn zsh() -> String {
    let generated = clap_script(clap_complete::Shell::Zsh);
    let g = replace_once(&generated, ":_hosts'", ":_lvsadm_services'");
    let g = replace_once(&g, ":_users'", ":_lvsadm_netns'");
    let g = replace_once(&g, ":_command_names -e'", ":_lvsadm_sched_flags'");
    let (first, rest) = g.split_once('\n').expect("a #compdef line");
    format!(
        "{first}\n{}{rest}",
        include_str!("complete/lvsadm.zsh").replace("@SCHED_FLAGS@", &SCHED_FLAGS.join(" "))
    )
}

/// The fish completion script.
pub fn fish() -> String {
    let generated = clap_script(clap_complete::Shell::Fish);
    let g = replace_once(
        &generated,
        "(__fish_print_hostnames)",
        "(__lvsadm_services)",
    );
    let g = replace_once(&g, "(__fish_complete_users)", "(__lvsadm_netns)");
    let g = replace_once(&g, "(__fish_complete_command)", "(__lvsadm_sched_flags)");
    format!(
        "{}{g}",
        include_str!("complete/lvsadm.fish").replace("@SCHED_FLAGS@", &SCHED_FLAGS.join(" "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(kind: &str) -> String {
        let mut v = Vec::new();
        generate(kind, &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    /// roff writes `-` as `\-` in option names.
    fn roff_long(l: &str) -> String {
        format!("\\-\\-{}", l.replace('-', "\\-"))
    }

    #[test]
    fn man_page_has_every_option() {
        let page = render("man");
        let mut n = 0;
        for a in options::command().args(own_words()).get_arguments() {
            if let Some(l) = a.get_long() {
                assert!(page.contains(&roff_long(l)), "--{l} missing from lvsadm.8");
                n += 1;
            }
            if let Some(s) = a.get_short() {
                assert!(
                    page.contains(&format!("fB\\-{s}\\fR"))
                        || page.contains(&format!("fB\\-{s}, ")),
                    "-{s} missing from lvsadm.8"
                );
            }
            let help = a.get_help().unwrap().to_string();
            let help = help.strip_prefix(EXT_PREFIX).unwrap_or(&help);
            let words: String = help
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                .take(20)
                .collect();
            assert!(
                words.len() > 2 && page.contains(&words.replace('-', "\\-")),
                "help of {} missing",
                a.get_id()
            );
        }
        assert!(n > 60, "only {n} long options");
        // the control: a page without an option is caught
        assert!(!page.contains(&roff_long("no-such-option")));
    }

    #[test]
    fn man_page_sections() {
        let page = render("man");
        for s in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH COMMANDS",
            ".SH \"VIRTUAL SERVICE\"",
            ".SH \"LVSADM EXTENSIONS\"",
            ".SH \"EXIT STATUS\"",
            ".SH FILES",
            ".SH EXAMPLES",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(page.contains(s), "{s} missing");
        }
        for s in SCHEDULERS.iter().chain(SCHED_FLAGS.iter()) {
            assert!(page.contains(&s.replace('-', "\\-")), "{s} missing");
        }
    }

    #[test]
    fn extension_help_lists_every_extension() {
        let mut v = Vec::new();
        print_extensions(&mut v).unwrap();
        let text = String::from_utf8(v).unwrap();
        for l in [
            "-j, --json",
            "--apply FILE",
            "--check FILE",
            "--dry-run",
            "--verbose",
            "--drain[=SECS]",
            "--wait SECS",
            "--netns NAME",
            "--help-extensions",
            "--generate KIND",
        ] {
            assert!(text.contains(&format!("  {l}\n")), "{l} missing:\n{text}");
        }
        assert!(!text.contains("--tcp-service"));
    }

    /// The option spellings of `--help-extensions` (its lines indented by
    /// two spaces), of the man page's LVSADM EXTENSIONS section (the line
    /// after each `.TP`, roff undone) and of docs/options.md (the first
    /// column of its table).
    fn help_spellings(text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("  "))
            .filter(|l| l.starts_with('-'))
            .map(String::from)
            .collect()
    }
    fn man_spellings(page: &str) -> Vec<String> {
        let section = page
            .split(".SH \"LVSADM EXTENSIONS\"\n")
            .nth(1)
            .expect("the section")
            .split("\n.SH ")
            .next()
            .unwrap();
        let lines: Vec<&str> = section.lines().collect();
        lines
            .windows(2)
            .filter(|w| w[0] == ".TP")
            .map(|w| {
                w[1].trim_start_matches("\\fB")
                    .trim_end_matches("\\fR")
                    .replace("\\-", "-")
            })
            .collect()
    }
    fn docs_spellings(md: &str) -> Vec<String> {
        md.lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once("` |"))
            .map(|(o, _)| o.to_string())
            .collect()
    }

    #[test]
    fn help_man_page_and_docs_list_the_same_options() {
        let mut v = Vec::new();
        print_extensions(&mut v).unwrap();
        let help = help_spellings(&String::from_utf8(v).unwrap());
        let man = man_spellings(&render("man"));
        let docs_file = include_str!("../../docs/options.md");
        let docs = docs_spellings(docs_file);
        assert!(help.len() > 15, "{help:?}");
        assert_eq!(help, man);
        assert_eq!(help, docs);
        assert!(help.contains(&"--drain[=SECS]".to_string()), "{help:?}");
        // docs/options.md is the generated text, help and all
        assert_eq!(
            docs_file,
            docs_options(),
            "docs/options.md is stale: lvsadm --generate docs-options > docs/options.md"
        );
        // the control: a list that lacks one option does not agree
        let fewer = docs_spellings(&docs_file.replace("| `--wait SECS` |", "| wait |"));
        assert_ne!(help, fewer);
    }

    #[test]
    fn man_page_version_schedulers_and_exit_statuses() {
        let page = render("man");
        assert!(page.contains(&format!(
            ".SH VERSION\nThis page is of \\fBlvsadm\\fR {};",
            env!("CARGO_PKG_VERSION")
        )));
        for s in [
            "\\fBtwos\\fR",
            "\\fB3\\fR\n",
            "\\fB4\\fR\n",
            "\\fB128+\\fIN\\fR\n",
        ] {
            assert!(page.contains(s), "{s} missing");
        }
        let synopsis = page.split(".SH DESCRIPTION").next().unwrap();
        let description = page.split(".SH DESCRIPTION").nth(1).unwrap();
        let description = description.split("\n.SH ").next().unwrap();
        for o in ["drain", "metrics", "wait"] {
            let w = format!("\\fB\\-\\-{o}\\fR");
            assert!(synopsis.contains(&w), "--{o} not in SYNOPSIS");
            assert!(description.contains(&w), "--{o} not in DESCRIPTION");
        }
    }

    #[test]
    fn early_only_for_first_word() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(early("lvsadm", &s(&["-L", "--generate", "man"])), None);
        assert_eq!(early("lvsadm", &s(&["-h"])), None);
        assert_eq!(early("lvsadm", &s(&[])), None);
        assert_eq!(early("lvsadm", &s(&["--generate", "nonsense"])), Some(2));
        assert_eq!(early("lvsadm", &s(&["--generate"])), Some(2));
        assert_eq!(early("lvsadm", &s(&["--generate", "man", "x"])), Some(2));
    }

    #[test]
    fn zsh_and_fish_have_the_dynamic_functions() {
        let z = zsh();
        assert!(z.starts_with("#compdef lvsadm\n"));
        assert_eq!(z.matches(":_lvsadm_services'").count(), 7, "{z}");
        assert!(z.contains("(rr wrr lc wlc"));
        let f = fish();
        assert_eq!(f.matches("(__lvsadm_services)").count(), 4);
        assert!(f.contains("__lvsadm_netns"));
    }

    /// Runs bash's completion the way bash does on <TAB>, if bash exists.
    fn complete(line: &str) -> Option<Vec<String>> {
        complete_with("lvsadm", line)
    }

    fn complete_with(prog: &str, line: &str) -> Option<Vec<String>> {
        let script = bash();
        let words: Vec<&str> = line.split(' ').collect();
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let prog = format!(
            "{script}\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n\
             _lvsadm_complete '{prog}' '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            quoted.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        // bash by its path: with PATH replaced, Command would look it up
        // there (and the test would silently not run)
        let out = std::process::Command::new("/bin/bash")
            .args(["--norc", "-c", &prog])
            .env("PATH", "/nonexistent")
            .output()
            .ok()?;
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect(),
        )
    }

    /// The `compopt` calls of a completion and its candidates, with
    /// `compopt` (only usable while bash completes) replaced by a recorder.
    fn complete_stubbed(line: &str) -> String {
        let script = bash();
        let words: Vec<&str> = line.split(' ').collect();
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let prog = format!(
            "{script}\ncompopt() {{ echo \"compopt $*\"; }}\nCOMP_WORDS=({})\nCOMP_CWORD={}\n\
             COMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n\
             _lvsadm_complete lvsadm '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\" | grep -v '^$'\ntrue\n",
            quoted.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = std::process::Command::new("/bin/bash")
            .args(["--norc", "-c", &prog])
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn bash_completes() {
        let Some(r) = complete("lvsadm -A -t 192.0.2.1:80 -s ") else {
            return; // no bash here
        };
        assert_eq!(r, *SCHEDULERS);
        assert_eq!(
            complete("lvsadm -A -t 192.0.2.1:80 -s wl").unwrap(),
            ["wlc"]
        );
        assert_eq!(
            complete("lvsadm -A -t 192.0.2.1:80 -b sh-fallback,sh-p").unwrap(),
            ["sh-fallback,sh-port"]
        );
        assert_eq!(
            complete("lvsadm -a -t 192.0.2.1:80 -r 198.51.100.2 --tun-t").unwrap(),
            ["--tun-type"]
        );
        assert_eq!(
            complete("lvsadm -a -t 192.0.2.1:80 -i --tun-type g").unwrap(),
            ["gue", "gre"]
        );
        // the live table, from `-Sn` (in the namespace given)
        let dir = std::env::temp_dir().join(format!("lvsadm-compl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("lvsadm");
        std::fs::write(
            &fake,
            "#!/bin/sh\n[ \"$*\" = \"--netns lb1 -Sn\" ] || exit 2\n\
             printf '%s\\n' '-A -t 192.0.2.1:80 -s wlc' '-a -t 192.0.2.1:80 -r 198.51.100.2:80 -g -w 1' \
             '-A -t [2001:db8::1]:443 -s rr' '-A -u 192.0.2.1:53 -s rr' '-A -f 7 -s wlc'\n",
        )
        .unwrap();
        std::process::Command::new("chmod")
            .args(["+x", fake.to_str().unwrap()])
            .status()
            .unwrap();
        let f = fake.to_str().unwrap();
        let got = |line: &str| complete_with(f, line).unwrap();
        assert_eq!(
            got("lvsadm --netns lb1 -E -t "),
            ["192.0.2.1:80", "[2001:db8::1]:443"]
        );
        assert_eq!(got("lvsadm --netns lb1 -a -t 192.0.2.1:"), ["80"]);
        assert_eq!(got("lvsadm --netns lb1 -Ln -u "), ["192.0.2.1:53"]);
        assert_eq!(got("lvsadm --netns lb1 -d -f "), ["7"]);
        // controls: a new service, and another namespace, get none
        assert!(got("lvsadm --netns lb1 -A -t ").is_empty());
        assert!(got("lvsadm --netns lb2 -E -t ").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
        // --drain <TAB>: nothing, and bash's file-name fallback switched off
        assert_eq!(
            complete_stubbed("lvsadm -d -t 192.0.2.1:80 -r 198.51.100.2 --drain "),
            "compopt +o default +o bashdefault\n"
        );
        // the control: after --apply, file names are offered
        assert!(complete_stubbed("lvsadm --apply ").starts_with("compopt -o filenames\n"));
        // the control: an option that takes no scheduler gets none
        assert!(!complete("lvsadm -A -t 192.0.2.1:80 -p ")
            .unwrap()
            .contains(&"wlc".to_string()));
    }
}
