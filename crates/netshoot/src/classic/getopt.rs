//! A getopt_long for the classic names: each tool declares its options once (letter, long name,
//! argument, help, or the reason it is not supported), and this module parses its command line
//! as the classic tool would: combined short flags (`-tulpn`, `-Xvv`, `-c1`), `--long` and
//! `--long=value`, `--` to end options, and GNU permutation (options after operands) unless the
//! tool stops at the first operand (`POSIXLY_CORRECT`-style tools such as `nsenter`, `ip`).

use std::fmt::Write as _;

/// Whether an option takes an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A flag.
    No,
    /// `-c 5`, `-c5`, `--count 5`, `--count=5`.
    Value,
    /// Only attached: `-ofile`, `--opt=value` (getopt's `::`).
    Optional,
}

/// One option a classic tool understands.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// The name this module reports it under (the letter or long name without dashes).
    pub id: &'static str,
    /// Its letter, if any.
    pub short: Option<char>,
    /// Its long names (without `--`); several for aliases.
    pub long: &'static [&'static str],
    /// Whether it takes an argument.
    pub takes: Takes,
    /// One line of help; for an option we recognise but do not implement, `None` with the
    /// alternative in `unsupported`.
    pub help: &'static str,
    /// When set, the option is the classic tool's but not ours: parsing fails with this hint.
    pub unsupported: Option<&'static str>,
    /// The value's name in help.
    pub value_name: &'static str,
}

impl Opt {
    /// A supported flag.
    pub const fn flag(
        id: &'static str,
        short: Option<char>,
        long: &'static [&'static str],
        help: &'static str,
    ) -> Opt {
        Opt {
            id,
            short,
            long,
            takes: Takes::No,
            help,
            unsupported: None,
            value_name: "",
        }
    }

    /// A supported option with a value.
    pub const fn value(
        id: &'static str,
        short: Option<char>,
        long: &'static [&'static str],
        value_name: &'static str,
        help: &'static str,
    ) -> Opt {
        Opt {
            id,
            short,
            long,
            takes: Takes::Value,
            help,
            unsupported: None,
            value_name,
        }
    }

    /// A classic option we do not implement: using it fails with `hint` (exit 2).
    pub const fn unsupported(
        id: &'static str,
        short: Option<char>,
        long: &'static [&'static str],
        takes: Takes,
        hint: &'static str,
    ) -> Opt {
        Opt {
            id,
            short,
            long,
            takes,
            help: "",
            unsupported: Some(hint),
            value_name: "",
        }
    }
}

/// A classic tool's command-line grammar.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The tool's name (for messages).
    pub tool: &'static str,
    /// Its options.
    pub opts: &'static [Opt],
    /// GNU permutation: options may follow operands (tcpdump, netstat, nc, curl). When false,
    /// the first operand ends option parsing (nsenter, and tools whose operands carry flags).
    pub permute: bool,
    /// Usage line(s) for `--help`, after the tool's name.
    pub usage: &'static str,
    /// Text after the options in `--help` (what differs from the classic tool).
    pub notes: &'static str,
    /// Whether a single dash with a long name is accepted (`-json`, nmap's `-sT` is separate).
    pub single_dash_long: bool,
}

/// One parsed item, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An option (its `id`) and its argument.
    Opt(&'static str, Option<String>),
    /// An operand.
    Arg(String),
}

/// The parse of a command line.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Options and operands in order.
    pub items: Vec<Item>,
}

impl Parsed {
    /// How many times option `id` was given.
    pub fn count(&self, id: &str) -> usize {
        self.items
            .iter()
            .filter(|i| matches!(i, Item::Opt(o, _) if *o == id))
            .count()
    }

    /// Whether option `id` was given.
    pub fn has(&self, id: &str) -> bool {
        self.count(id) > 0
    }

    /// The last value of option `id`.
    pub fn value(&self, id: &str) -> Option<&str> {
        self.items.iter().rev().find_map(|i| match i {
            Item::Opt(o, v) if *o == id => v.as_deref(),
            _ => None,
        })
    }

    /// Every value of option `id`, in order.
    pub fn values(&self, id: &str) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Opt(o, Some(v)) if *o == id => Some(v.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The operands, in order.
    pub fn args(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Arg(a) => Some(a.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// A usage error: one line, exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Builds a usage error for `tool`.
pub fn usage(tool: &str, msg: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(Usage(format!("{tool}: {msg} (see '{tool} --help')")))
}

impl Spec {
    fn by_short(&self, c: char) -> Option<&'static Opt> {
        self.opts.iter().find(|o| o.short == Some(c))
    }

    fn by_long(&self, name: &str) -> Result<&'static Opt, anyhow::Error> {
        if let Some(o) = self.opts.iter().find(|o| o.long.contains(&name)) {
            return Ok(o);
        }
        // getopt_long accepts an unambiguous prefix.
        let hits: Vec<&'static Opt> = self
            .opts
            .iter()
            .filter(|o| o.long.iter().any(|l| l.starts_with(name)))
            .collect();
        match hits.as_slice() {
            [one] => Ok(one),
            [] => Err(usage(self.tool, format!("unknown option '--{name}'"))),
            _ => Err(usage(self.tool, format!("option '--{name}' is ambiguous"))),
        }
    }

    fn check(&self, o: &Opt, shown: &str) -> anyhow::Result<()> {
        match o.unsupported {
            Some(hint) => Err(usage(
                self.tool,
                format!("option '{shown}' is not supported by netshoot; {hint}"),
            )),
            None => Ok(()),
        }
    }

    /// Parses `args` (without the program name). `--help` is reported as the option `help`
    /// when the spec does not define it itself.
    pub fn parse<S: AsRef<str>>(&self, args: &[S]) -> anyhow::Result<Parsed> {
        let mut items = Vec::new();
        let mut i = 0;
        let mut only_operands = false;
        while i < args.len() {
            let a = args[i].as_ref();
            i += 1;
            if only_operands || a == "-" || !a.starts_with('-') {
                items.push(Item::Arg(a.to_string()));
                if !self.permute {
                    only_operands = true;
                }
                continue;
            }
            if a == "--" {
                only_operands = true;
                continue;
            }
            if let Some(long) = a.strip_prefix("--") {
                let (name, attached) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                if name == "help" && !self.opts.iter().any(|o| o.long.contains(&"help")) {
                    items.push(Item::Opt("help", None));
                    continue;
                }
                let o = self.by_long(name)?;
                self.check(o, &format!("--{name}"))?;
                let value = match o.takes {
                    Takes::No => {
                        if attached.is_some() {
                            return Err(usage(
                                self.tool,
                                format!("option '--{name}' takes no value"),
                            ));
                        }
                        None
                    }
                    Takes::Optional => attached,
                    Takes::Value => match attached {
                        Some(v) => Some(v),
                        None => {
                            let v =
                                args.get(i).map(|s| s.as_ref().to_string()).ok_or_else(|| {
                                    usage(self.tool, format!("option '--{name}' needs a value"))
                                })?;
                            i += 1;
                            Some(v)
                        }
                    },
                };
                items.push(Item::Opt(o.id, value));
                continue;
            }
            // A single dash: a long name spelled with one dash (where the tool allows it),
            // else a cluster of letters.
            let body = &a[1..];
            if self.single_dash_long {
                let (name, attached) = match body.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (body, None),
                };
                if name.chars().count() > 1 {
                    if let Some(o) = self.opts.iter().find(|o| o.long.contains(&name)) {
                        self.check(o, &format!("-{name}"))?;
                        let value = match (o.takes, attached) {
                            (Takes::No, _) => None,
                            (_, Some(v)) => Some(v.to_string()),
                            (Takes::Optional, None) => None,
                            (Takes::Value, None) => {
                                let v = args.get(i).map(|s| s.as_ref().to_string()).ok_or_else(
                                    || usage(self.tool, format!("option '-{name}' needs a value")),
                                )?;
                                i += 1;
                                Some(v)
                            }
                        };
                        items.push(Item::Opt(o.id, value));
                        continue;
                    }
                }
            }
            let chars: Vec<char> = body.chars().collect();
            let mut k = 0;
            while k < chars.len() {
                let c = chars[k];
                k += 1;
                let Some(o) = self.by_short(c) else {
                    if c == 'h' || c == '?' {
                        items.push(Item::Opt("help", None));
                        continue;
                    }
                    return Err(usage(self.tool, format!("unknown option '-{c}'")));
                };
                self.check(o, &format!("-{c}"))?;
                match o.takes {
                    Takes::No => items.push(Item::Opt(o.id, None)),
                    Takes::Optional => {
                        let rest: String = chars[k..].iter().collect();
                        items.push(Item::Opt(o.id, (!rest.is_empty()).then_some(rest)));
                        k = chars.len();
                    }
                    Takes::Value => {
                        let rest: String = chars[k..].iter().collect();
                        let v = if !rest.is_empty() {
                            rest
                        } else {
                            let v =
                                args.get(i).map(|s| s.as_ref().to_string()).ok_or_else(|| {
                                    usage(self.tool, format!("option '-{c}' needs a value"))
                                })?;
                            i += 1;
                            v
                        };
                        items.push(Item::Opt(o.id, Some(v)));
                        k = chars.len();
                    }
                }
            }
        }
        Ok(Parsed { items })
    }

    /// Parses `args`, and answers `--help` (and the version option `version.0`, printing
    /// `version.1`) itself: `None` when it did, so the tool returns 0.
    pub fn parse_or_answer<S: AsRef<str>>(
        &self,
        args: &[S],
        version: Option<(&str, &str)>,
    ) -> anyhow::Result<Option<Parsed>> {
        let p = self.parse(args)?;
        if p.has("help") {
            crate::render::write_text(&self.help())?;
            return Ok(None);
        }
        if let Some((id, line)) = version {
            if p.has(id) {
                crate::render::write_text(&format!("{line}\n"))?;
                return Ok(None);
            }
        }
        Ok(Some(p))
    }

    /// The `--help` text: usage, every supported option, the classic options we refuse, notes.
    pub fn help(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Usage: {} {}", self.tool, self.usage.trim());
        let _ = writeln!(
            s,
            "\nnetshoot's {}: the classic command line, run by netshoot's own engine.\n\nOptions:",
            self.tool
        );
        for o in self.opts.iter().filter(|o| o.unsupported.is_none()) {
            let mut names = Vec::new();
            if let Some(c) = o.short {
                names.push(format!("-{c}"));
            }
            let dash = if self.single_dash_long { "-" } else { "--" };
            for l in o.long {
                names.push(format!("{dash}{l}"));
            }
            let mut left = names.join(", ");
            if o.takes == Takes::Value {
                let _ = write!(
                    left,
                    " {}",
                    if o.value_name.is_empty() {
                        "ARG"
                    } else {
                        o.value_name
                    }
                );
            }
            let _ = writeln!(s, "  {left:<28} {}", o.help);
        }
        let refused: Vec<String> = self
            .opts
            .iter()
            .filter(|o| o.unsupported.is_some())
            .map(|o| match (o.short, o.long.first()) {
                (Some(c), _) => format!("-{c}"),
                (None, Some(l)) => format!("--{l}"),
                _ => o.id.to_string(),
            })
            .collect();
        if !refused.is_empty() {
            let _ = writeln!(
                s,
                "\nRecognised but not supported (each fails with a hint): {}",
                refused.join(" ")
            );
        }
        if !self.notes.trim().is_empty() {
            let _ = writeln!(s, "\n{}", self.notes.trim());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: &[Opt] = &[
        Opt::value("i", Some('i'), &["interface"], "IFACE", "interface"),
        Opt::value("c", Some('c'), &[], "N", "count"),
        Opt::flag("X", Some('X'), &[], "hex"),
        Opt::flag("v", Some('v'), &["verbose"], "more"),
        Opt::unsupported(
            "K",
            Some('K'),
            &["dont-verify-checksums"],
            Takes::No,
            "checksums are never verified",
        ),
    ];
    const SPEC: Spec = Spec {
        tool: "tcpdump",
        opts: OPTS,
        permute: true,
        usage: "[OPTIONS] [EXPR]",
        notes: "",
        single_dash_long: false,
    };

    #[test]
    fn permutes_and_clusters() {
        let p = SPEC
            .parse(&["-i", "eth0", "port", "9999", "-c", "1", "-Xvv"])
            .unwrap();
        assert_eq!(p.value("i"), Some("eth0"));
        assert_eq!(p.value("c"), Some("1"));
        assert_eq!(p.count("v"), 2);
        assert!(p.has("X"));
        assert_eq!(p.args(), ["port", "9999"]);
        let p = SPEC.parse(&["-c1", "--interface=lo", "--verb"]).unwrap();
        assert_eq!(p.value("c"), Some("1"));
        assert_eq!(p.value("i"), Some("lo"));
        assert!(p.has("v"));
    }

    #[test]
    fn refuses_with_one_line() {
        let e = SPEC.parse(&["-K"]).unwrap_err().to_string();
        assert!(
            e.contains("'-K' is not supported") && e.contains("never verified"),
            "{e}"
        );
        let e = SPEC.parse(&["-Q"]).unwrap_err().to_string();
        assert!(e.contains("unknown option '-Q'"), "{e}");
        let e = SPEC.parse(&["-c"]).unwrap_err().to_string();
        assert!(e.contains("needs a value"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn double_dash_ends_options() {
        let p = SPEC.parse(&["--", "-c", "1"]).unwrap();
        assert_eq!(p.args(), ["-c", "1"]);
    }
}
