//! `RuntimeFlavor`: the two kinds of runtime a `Builder` makes.

/// Which kind of runtime it is: see [`Builder::new_multi_thread`](crate::Builder::new_multi_thread)
/// and [`Builder::new_current_thread`](crate::Builder::new_current_thread); returned by
/// [`Handle::runtime_flavor`](crate::Handle::runtime_flavor), as tokio's is.
///
/// ```
/// use goro::RuntimeFlavor;
///
/// let single = goro::Builder::new_current_thread().build().unwrap();
/// assert_eq!(single.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
/// let many = goro::Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// assert_eq!(many.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// No worker threads: the thread that calls `block_on` runs every task, timer and socket.
    CurrentThread,
    /// Worker threads run the tasks; `block_on` only polls its own future.
    MultiThread,
}
