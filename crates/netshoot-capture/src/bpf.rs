//! Classic BPF: the instruction format the kernel's `SO_ATTACH_FILTER` takes, an interpreter
//! with the kernel's semantics (a load past the packet's end rejects it; division by zero
//! rejects it), and the `-d` / `-ddd` listings tcpdump prints.

use std::fmt::Write as _;

/// One instruction (`struct sock_filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// Opcode.
    pub code: u16,
    /// Offset to the next instruction when the jump is taken.
    pub jt: u8,
    /// Offset when it is not.
    pub jf: u8,
    /// Operand.
    pub k: u32,
}

// Instruction classes and fields (linux/filter.h, linux/bpf_common.h).
/// Load into A.
pub const LD: u16 = 0x00;
/// Load into X.
pub const LDX: u16 = 0x01;
/// Store A.
pub const ST: u16 = 0x02;
/// Store X.
pub const STX: u16 = 0x03;
/// Arithmetic.
pub const ALU: u16 = 0x04;
/// Jumps.
pub const JMP: u16 = 0x05;
/// Return.
pub const RET: u16 = 0x06;
/// Register moves.
pub const MISC: u16 = 0x07;
/// 32-bit word.
pub const W: u16 = 0x00;
/// 16-bit half word.
pub const H: u16 = 0x08;
/// Byte.
pub const B: u16 = 0x10;
/// Immediate.
pub const IMM: u16 = 0x00;
/// Absolute offset.
pub const ABS: u16 = 0x20;
/// Offset X + k.
pub const IND: u16 = 0x40;
/// Scratch memory.
pub const MEM: u16 = 0x60;
/// Packet length.
pub const LEN: u16 = 0x80;
/// 4 * (P[k] & 0xf).
pub const MSH: u16 = 0xa0;
/// ALU and jump operations.
pub const ADD: u16 = 0x00;
/// Subtract.
pub const SUB: u16 = 0x10;
/// Multiply.
pub const MUL: u16 = 0x20;
/// Divide.
pub const DIV: u16 = 0x30;
/// Or.
pub const OR: u16 = 0x40;
/// And.
pub const AND: u16 = 0x50;
/// Left shift.
pub const LSH: u16 = 0x60;
/// Right shift.
pub const RSH: u16 = 0x70;
/// Negate.
pub const NEG: u16 = 0x80;
/// Modulo.
pub const MOD: u16 = 0x90;
/// Xor.
pub const XOR: u16 = 0xa0;
/// Always jump.
pub const JA: u16 = 0x00;
/// Jump if A == operand.
pub const JEQ: u16 = 0x10;
/// Jump if A > operand.
pub const JGT: u16 = 0x20;
/// Jump if A >= operand.
pub const JGE: u16 = 0x30;
/// Jump if A & operand.
pub const JSET: u16 = 0x40;
/// Operand is k.
pub const K: u16 = 0x00;
/// Operand is X.
pub const X: u16 = 0x08;
/// Return A.
pub const A: u16 = 0x10;
/// X = A.
pub const TAX: u16 = 0x00;
/// A = X.
pub const TXA: u16 = 0x80;

/// Scratch memory words.
pub const MEMWORDS: usize = 16;

impl Insn {
    /// An instruction without jumps.
    pub const fn stmt(code: u16, k: u32) -> Insn {
        Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        }
    }
}

/// Runs `prog` over `pkt` (captured bytes) whose length on the wire is `wirelen`; returns the
/// number of bytes to keep (0: reject). Malformed programs reject.
pub fn run(prog: &[Insn], pkt: &[u8], wirelen: u32) -> u32 {
    run_traced(prog, pkt, wirelen).0
}

/// Like [`run`], and also whether the program stopped on a load past the packet's end.
pub fn run_traced(prog: &[Insn], pkt: &[u8], wirelen: u32) -> (u32, bool) {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; MEMWORDS];
    let mut pc = 0usize;
    let load = |off: u64, size: usize| -> Option<u32> {
        let off = usize::try_from(off).ok()?;
        let b = pkt.get(off..off.checked_add(size)?)?;
        Some(match size {
            4 => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            2 => u32::from(u16::from_be_bytes([b[0], b[1]])),
            _ => u32::from(b[0]),
        })
    };
    // A program of n instructions runs at most n steps (jumps only go forward).
    for _ in 0..=prog.len() {
        let Some(i) = prog.get(pc) else {
            return (0, false);
        };
        pc += 1;
        let size = |c: u16| match c & 0x18 {
            W => 4,
            H => 2,
            _ => 1,
        };
        match i.code & 0x07 {
            LD => {
                a = match i.code & 0xe0 {
                    IMM => i.k,
                    ABS => match load(u64::from(i.k), size(i.code)) {
                        Some(v) => v,
                        None => return (0, true),
                    },
                    IND => match load(u64::from(x) + u64::from(i.k), size(i.code)) {
                        Some(v) => v,
                        None => return (0, true),
                    },
                    MEM => match mem.get(i.k as usize) {
                        Some(v) => *v,
                        None => return (0, false),
                    },
                    LEN => wirelen,
                    _ => return (0, false),
                }
            }
            LDX => {
                x = match i.code & 0xe0 {
                    IMM => i.k,
                    MEM => match mem.get(i.k as usize) {
                        Some(v) => *v,
                        None => return (0, false),
                    },
                    LEN => wirelen,
                    MSH => match load(u64::from(i.k), 1) {
                        Some(v) => 4 * (v & 0xf),
                        None => return (0, true),
                    },
                    _ => return (0, false),
                }
            }
            ST => match mem.get_mut(i.k as usize) {
                Some(m) => *m = a,
                None => return (0, false),
            },
            STX => match mem.get_mut(i.k as usize) {
                Some(m) => *m = x,
                None => return (0, false),
            },
            ALU => {
                let v = if i.code & X != 0 { x } else { i.k };
                a = match i.code & 0xf0 {
                    ADD => a.wrapping_add(v),
                    SUB => a.wrapping_sub(v),
                    MUL => a.wrapping_mul(v),
                    DIV => match a.checked_div(v) {
                        Some(r) => r,
                        None => return (0, false),
                    },
                    MOD => match a.checked_rem(v) {
                        Some(r) => r,
                        None => return (0, false),
                    },
                    OR => a | v,
                    AND => a & v,
                    XOR => a ^ v,
                    LSH => a.checked_shl(v).unwrap_or(0),
                    RSH => a.checked_shr(v).unwrap_or(0),
                    NEG => a.wrapping_neg(),
                    _ => return (0, false),
                }
            }
            JMP => {
                let v = if i.code & X != 0 { x } else { i.k };
                let op = i.code & 0xf0;
                if op == JA {
                    pc = match pc.checked_add(i.k as usize) {
                        Some(p) => p,
                        None => return (0, false),
                    };
                    continue;
                }
                let taken = match op {
                    JEQ => a == v,
                    JGT => a > v,
                    JGE => a >= v,
                    JSET => a & v != 0,
                    _ => return (0, false),
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            RET => {
                return (
                    match i.code & 0x18 {
                        A => a,
                        _ => i.k,
                    },
                    false,
                )
            }
            _ => {
                // MISC
                if i.code & 0xf8 == TXA {
                    a = x;
                } else {
                    x = a;
                }
            }
        }
    }
    (0, false)
}

/// The `-dd` listing: the program as a C array initialiser, one `{ code, jt, jf, k },` line per
/// instruction (hexadecimal code and k, as tcpdump prints them).
pub fn dump_dd(prog: &[Insn]) -> String {
    let mut s = String::new();
    for i in prog {
        let _ = writeln!(
            s,
            "{{ 0x{:x}, {}, {}, 0x{:08x} }},",
            i.code, i.jt, i.jf, i.k
        );
    }
    s
}

/// The `-ddd` listing: the count, then one `code jt jf k` line per instruction (decimal).
pub fn dump_ddd(prog: &[Insn]) -> String {
    let mut s = format!("{}\n", prog.len());
    for i in prog {
        let _ = writeln!(s, "{} {} {} {}", i.code, i.jt, i.jf, i.k);
    }
    s
}

/// Parses a `-ddd` listing (as `tcpdump -ddd` prints it).
pub fn parse_ddd(text: &str) -> Option<Vec<Insn>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let n: usize = lines.next()?.trim().parse().ok()?;
    let mut prog = Vec::with_capacity(n);
    for l in lines.take(n) {
        let f: Vec<u64> = l
            .split_whitespace()
            .map(|t| t.parse().ok())
            .collect::<Option<_>>()?;
        if f.len() != 4 {
            return None;
        }
        prog.push(Insn {
            code: u16::try_from(f[0]).ok()?,
            jt: u8::try_from(f[1]).ok()?,
            jf: u8::try_from(f[2]).ok()?,
            k: u32::try_from(f[3]).ok()?,
        });
    }
    (prog.len() == n).then_some(prog)
}

/// The `-d` listing, in tcpdump's words.
pub fn dump(prog: &[Insn]) -> String {
    let mut s = String::new();
    for (n, i) in prog.iter().enumerate() {
        let sz = match i.code & 0x18 {
            W => "",
            H => "h",
            _ => "b",
        };
        let (op, arg) = match i.code & 0x07 {
            LD => match i.code & 0xe0 {
                IMM => ("ld".to_string(), format!("#0x{:x}", i.k)),
                ABS => (format!("ld{sz}"), format!("[{}]", i.k)),
                IND => (format!("ld{sz}"), format!("[x + {}]", i.k)),
                MEM => ("ld".to_string(), format!("M[{}]", i.k)),
                LEN => ("ld".to_string(), "#pktlen".to_string()),
                _ => ("ld?".to_string(), String::new()),
            },
            LDX => match i.code & 0xe0 {
                IMM => ("ldx".to_string(), format!("#0x{:x}", i.k)),
                MEM => ("ldx".to_string(), format!("M[{}]", i.k)),
                MSH => ("ldxb".to_string(), format!("4*([{}]&0xf)", i.k)),
                LEN => ("ldx".to_string(), "#pktlen".to_string()),
                _ => ("ldx?".to_string(), String::new()),
            },
            ST => ("st".to_string(), format!("M[{}]", i.k)),
            STX => ("stx".to_string(), format!("M[{}]", i.k)),
            ALU => {
                let name = match i.code & 0xf0 {
                    ADD => "add",
                    SUB => "sub",
                    MUL => "mul",
                    DIV => "div",
                    MOD => "mod",
                    OR => "or",
                    AND => "and",
                    XOR => "xor",
                    LSH => "lsh",
                    RSH => "rsh",
                    NEG => "neg",
                    _ => "alu?",
                };
                let arg = if i.code & 0xf0 == NEG {
                    String::new()
                } else if i.code & X != 0 {
                    "x".to_string()
                } else {
                    format!("#0x{:x}", i.k)
                };
                (name.to_string(), arg)
            }
            JMP => {
                if i.code & 0xf0 == JA {
                    ("ja".to_string(), format!("{}", n + 1 + i.k as usize))
                } else {
                    let name = match i.code & 0xf0 {
                        JEQ => "jeq",
                        JGT => "jgt",
                        JGE => "jge",
                        JSET => "jset",
                        _ => "j?",
                    };
                    let v = if i.code & X != 0 {
                        "x".to_string()
                    } else {
                        format!("#0x{:x}", i.k)
                    };
                    (
                        name.to_string(),
                        format!(
                            "{v:<16} jt {}\tjf {}",
                            n + 1 + usize::from(i.jt),
                            n + 1 + usize::from(i.jf)
                        ),
                    )
                }
            }
            RET => (
                "ret".to_string(),
                if i.code & 0x18 == A {
                    "a".to_string()
                } else {
                    format!("#{}", i.k)
                },
            ),
            _ => (
                if i.code & 0xf8 == TXA { "txa" } else { "tax" }.to_string(),
                String::new(),
            ),
        };
        let _ = writeln!(s, "({n:03}) {op:<8} {arg}").map(|_| ());
    }
    s.lines().map(|l| l.trim_end().to_string() + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_tcpdump_programs() {
        // tcpdump -ddd -y EN10MB 'ip[8] < 5'
        let p =
            parse_ddd("6\n40 0 0 12\n21 0 3 2048\n48 0 0 22\n53 1 0 5\n6 0 0 262144\n6 0 0 0\n")
                .unwrap();
        let mut pkt = vec![0u8; 34];
        pkt[12] = 0x08;
        pkt[22] = 4;
        assert_eq!(run(&p, &pkt, 34), 262_144);
        pkt[22] = 64;
        assert_eq!(run(&p, &pkt, 34), 0);
        // A load past the end rejects.
        assert_eq!(run(&p, &pkt[..20], 20), 0);
        assert_eq!(
            dump_ddd(&p),
            "6\n40 0 0 12\n21 0 3 2048\n48 0 0 22\n53 1 0 5\n6 0 0 262144\n6 0 0 0\n"
        );
        // tcpdump -dd -y EN10MB 'ip[8] < 5'
        assert_eq!(
            dump_dd(&p),
            "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 3, 0x00000800 },\n\
             { 0x30, 0, 0, 0x00000016 },\n{ 0x35, 1, 0, 0x00000005 },\n\
             { 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n"
        );
    }

    #[test]
    fn junk_programs_never_panic() {
        let mut seed = 11u32;
        let mut rnd = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            seed
        };
        let pkt: Vec<u8> = (0..64).map(|i| i as u8).collect();
        for _ in 0..20_000 {
            let n = (rnd() % 12 + 1) as usize;
            let prog: Vec<Insn> = (0..n)
                .map(|_| Insn {
                    code: (rnd() & 0xff) as u16,
                    jt: (rnd() & 7) as u8,
                    jf: (rnd() & 7) as u8,
                    k: if rnd() % 2 == 0 { rnd() % 80 } else { rnd() },
                })
                .collect();
            let _ = run(&prog, &pkt, 64);
            let _ = dump(&prog);
        }
    }
}
