//! Each table of the documentation exists once, in `runtime/docs/`, and the crate docs include
//! it from there. The README cannot include files, so this test fails when its copy drifts.

#[test]
fn the_readme_carries_the_documentation_tables_verbatim() {
    let readme = include_str!("../../README.md");
    let tables = [
        ("arguments", include_str!("../../runtime/docs/arguments.md")),
        ("variables", include_str!("../../runtime/docs/variables.md")),
    ];
    for (name, table) in tables {
        assert!(table.trim_start().starts_with('|'), "{name} is a table");
        assert!(
            readme.contains(table.trim_end()),
            "README.md's copy of the {name} table differs from runtime/docs/{name}.md; copy it from there"
        );
    }
}
