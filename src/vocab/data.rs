//! The file formats a `data` declaration reads: `data rows = csv("rows.csv")`.

words! {
    /// A data set's file format.
    DataFormat {
        /// One row per line.
        Lines => "lines",
        /// One object per row, keyed by the header line.
        Csv => "csv",
        /// One JSON value per line.
        Jsonl => "jsonl",
        /// A YAML list.
        Yaml => "yaml",
    }
}
