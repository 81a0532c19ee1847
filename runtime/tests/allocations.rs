//! With the `metrics` feature on and no recorder installed, a check that hits the cache
//! allocates nothing: counted by a global allocator, on this thread only.
//!
//! Its own test binary, since the allocator is the whole process's; one test, so no other test
//! of the binary runs beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use scw_private::testing::KeyPair;
use scw_private::{Policy, Scope, Verifier};

struct Counting;

thread_local! {
    // `const`: no lazy initialisation, hence no allocation, inside the allocator.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is passed to `System` unchanged; the counter is a thread-local `Cell`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const NS: &str = "11111111-1111-4111-8111-111111111111";
const CT: &str = "22222222-2222-4222-8222-222222222222";

#[test]
fn a_cache_hit_allocates_nothing_without_a_recorder() {
    // The counter counts: a `Vec` of one byte is one allocation.
    assert_eq!(allocations_in(|| drop(std::hint::black_box(vec![0u8]))), 1);

    let keys = KeyPair::generate();
    let verifier = Verifier::builder()
        .public_key_pem(keys.public_pem())
        .namespace_id(NS)
        .container_id(CT)
        .build()
        .unwrap();
    let mut headers = http::HeaderMap::new();
    let token = keys.token().namespace(NS).sign();
    headers.insert("x-auth-token", token.parse().unwrap());

    for policy in [Policy::new(), Policy::new().scope(Scope::NamespaceToken)] {
        // The first check verifies in full and fills the cache (and the facade's state).
        verifier.authorize(&headers, &policy).unwrap();
        let allocations = allocations_in(|| {
            for _ in 0..1_000 {
                let access = verifier.authorize(&headers, &policy).unwrap();
                std::hint::black_box(access);
            }
        });
        assert_eq!(
            allocations, 0,
            "{policy:?}: allocations in 1,000 cache hits"
        );
    }
}
