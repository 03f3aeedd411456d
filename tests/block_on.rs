//! goro's own `block_on`: a nested call panics with a message that says what to do, and the
//! thread can block on a runtime again afterwards.

mod support;

use std::time::Duration;
use support::*;

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn a_nested_block_on_panics_with_a_goro_message() {
    bounded(LIMIT, || {
        let runtime = runtime(1);
        let other = support::runtime(1);
        runtime.block_on(async {
            let message = expect_panic(|| goro::Handle::current().block_on(async {}));
            assert!(
                message.contains("goro") && message.contains(".await"),
                "unclear panic: {message}"
            );
            let message = expect_panic(|| other.block_on(async {}));
            assert!(
                message.contains("goro") && message.contains(".await"),
                "unclear panic: {message}"
            );
        });
        assert_eq!(runtime.block_on(async { 3 }), 3);
        assert_eq!(other.block_on(async { 4 }), 4);
    });
}
