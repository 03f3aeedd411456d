#[goro::test]
struct NotATest;

fn main() {}
