//! Compile-time diagnostics of `network!`: one diagnostic family per file in `tests/ui/fail`,
//! networks written as users write them in `tests/ui/pass`. The `.stderr` wording belongs to the
//! pinned compiler, so the suite runs only there (another compiler shows up as an ignored test).

#[rustversion::attr(not(stable(1.95)), ignore)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
