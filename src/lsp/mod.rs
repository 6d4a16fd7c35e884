//! `stress lsp`: a language server over stdio (lsp-server + lsp-types), for any editor.
//!
//! Diagnostics come from the real front end (parse → check, the same codes, messages, labels
//! and help as `stress check`), on open and on every change. Hover explains keywords, metrics,
//! functions, fault rules, built-in names and units (and shows what declares a name); go to
//! definition and find references work for every declared name (`let`, `data`, `target`,
//! `service`, `proxy`, `workload`, `scenario`, `profile`, steps, captures and variables);
//! completion offers keywords, declared names, metrics, functions and units; formatting is
//! `stress fmt`. Documents are synchronized whole (small files; simplest correct choice).

mod docs;
mod index;

use std::collections::HashMap;
use std::path::PathBuf;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, GotoDefinitionResponse, Hover, HoverContents,
    HoverProviderCapability, Location, MarkupContent, MarkupKind, NumberOrString, OneOf, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri,
};
use miette::Diagnostic as _;

use crate::diag::Problem;
use crate::exit::Exit;
use crate::source::SourceFile;
use docs::WordKind;
use index::LineIndex;

/// Serves one client over stdin/stdout until it asks to exit. Returns the exit code.
pub fn serve() -> Exit {
    // The front end recurses on nesting: give the whole server the CLI's big stack.
    let served = crate::frontend::on_big_stack(|| {
        let (connection, io_threads) = Connection::stdio();
        let served = serve_on(&connection);
        drop(connection);
        let joined = io_threads.join();
        match (served, joined) {
            (Ok(()), Ok(())) => Exit::Passed,
            (Err(e), _) => {
                eprintln!("error: stress lsp: {e}");
                Exit::CouldNotRun
            }
            (_, Err(e)) => {
                eprintln!("error: stress lsp: {e}");
                Exit::CouldNotRun
            }
        }
    });
    served.unwrap_or_else(|_| {
        eprintln!("error: stress lsp: internal error");
        Exit::CouldNotRun
    })
}

/// The protocol loop on any connection (stdio in the binary, memory in unit tests).
fn serve_on(connection: &Connection) -> Result<(), String> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(lsp_types::CompletionOptions::default()),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|e| e.to_string())?;
    connection
        .initialize(capabilities)
        .map_err(|e| format!("initialize: {e}"))?;
    let mut server = Server {
        documents: HashMap::new(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                let response = server.request(request);
                send(connection, Message::Response(response))?;
            }
            Message::Notification(notification) => {
                if let Some(published) = server.notification(notification) {
                    let params = serde_json::to_value(published).map_err(|e| e.to_string())?;
                    send(
                        connection,
                        Message::Notification(Notification::new(
                            lsp_types::notification::PublishDiagnostics::METHOD.to_string(),
                            params,
                        )),
                    )?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection
        .sender
        .send(message)
        .map_err(|e| format!("the client went away: {e}"))
}

struct Server {
    /// Open documents by URI.
    documents: HashMap<String, String>,
}

impl Server {
    fn notification(&mut self, n: Notification) -> Option<PublishDiagnosticsParams> {
        use lsp_types::notification::{
            DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument,
        };
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(n.params).ok()?;
                let uri = p.text_document.uri;
                self.documents
                    .insert(uri.as_str().to_string(), p.text_document.text);
                Some(self.diagnose(&uri, Some(p.text_document.version)))
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(n.params).ok()?;
                let uri = p.text_document.uri;
                // Full sync: the last change holds the whole text.
                let text = p.content_changes.into_iter().last()?.text;
                self.documents.insert(uri.as_str().to_string(), text);
                Some(self.diagnose(&uri, Some(p.text_document.version)))
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(n.params).ok()?;
                self.documents.remove(p.text_document.uri.as_str());
                Some(PublishDiagnosticsParams {
                    uri: p.text_document.uri,
                    diagnostics: vec![],
                    version: None,
                })
            }
            _ => None,
        }
    }

    fn request(&mut self, request: Request) -> Response {
        use lsp_types::request::{
            Completion, Formatting, GotoDefinition, HoverRequest, References,
        };
        let id = request.id.clone();
        let result = match request.method.as_str() {
            HoverRequest::METHOD => self.with_params(request, |s, p| s.hover(&p)),
            GotoDefinition::METHOD => self.with_params(request, |s, p| s.definition(&p)),
            References::METHOD => self.with_params(request, |s, p| s.references(&p)),
            Completion::METHOD => self.with_params(request, |s, p| s.completion(&p)),
            Formatting::METHOD => self.with_params(request, |s, p| s.format(&p)),
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("stress lsp does not handle `{}`", request.method),
                );
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(message) => Response::new_err(id, ErrorCode::InvalidParams as i32, message),
        }
    }

    fn with_params<P: serde::de::DeserializeOwned, R: serde::Serialize>(
        &mut self,
        request: Request,
        handle: impl FnOnce(&mut Self, P) -> R,
    ) -> Result<serde_json::Value, String> {
        let params: P = serde_json::from_value(request.params).map_err(|e| e.to_string())?;
        serde_json::to_value(handle(self, params)).map_err(|e| e.to_string())
    }

    fn text(&self, uri: &Uri) -> Option<&str> {
        self.documents.get(uri.as_str()).map(String::as_str)
    }

    /// The diagnostics of a document, from the real checker.
    fn diagnose(&self, uri: &Uri, version: Option<i32>) -> PublishDiagnosticsParams {
        let text = self.text(uri).unwrap_or_default();
        let file = SourceFile::new(uri.as_str(), text);
        let base_dir = file_path(uri).and_then(|p| p.parent().map(PathBuf::from));
        let problems = crate::frontend::check(&file, base_dir.as_deref());
        let lines = LineIndex::new(text);
        let diagnostics = problems
            .iter()
            .map(|p| to_lsp(p, uri, &lines, text.len()))
            .collect();
        PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics,
            version,
        }
    }

    fn hover(&self, p: &lsp_types::HoverParams) -> Option<Hover> {
        let at = &p.text_document_position_params;
        let text = self.text(&at.text_document.uri)?;
        let lines = LineIndex::new(text);
        let offset = lines.offset(at.position.line, at.position.character);
        let (start, end) = index::word_at(text, offset)?;
        let word = &text[start..end];
        let mut parts: Vec<String> = Vec::new();
        if let Some(ast) = parse(text) {
            for d in index::declarations(&ast)
                .into_iter()
                .filter(|d| d.name == word)
            {
                let line = lines.position(d.span.start as usize).0 + 1;
                parts.push(format!("`{} {}`, declared on line {line}", d.kind, d.name));
            }
        }
        let lookup = docs::unit_of(word).unwrap_or(word);
        parts.extend(docs::explain(lookup).into_iter().map(str::to_string));
        if parts.is_empty() {
            return None;
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: parts.join("\n\n"),
            }),
            range: Some(range(&lines, start, end)),
        })
    }

    /// The identifier under the cursor and the declarations of that name (none: not a
    /// declared name).
    fn declared_at(
        &self,
        at: &lsp_types::TextDocumentPositionParams,
    ) -> Option<(&str, LineIndex<'_>, String, Vec<index::Declaration>)> {
        let text = self.text(&at.text_document.uri)?;
        let lines = LineIndex::new(text);
        let offset = lines.offset(at.position.line, at.position.character);
        let token = index::token_at(text, offset)?;
        let name = text[token.start..token.end].to_string();
        let declared: Vec<_> = index::declarations(&parse(text)?)
            .into_iter()
            .filter(|d| d.name == name)
            .collect();
        (!declared.is_empty()).then_some((text, lines, name, declared))
    }

    /// The declaration of the name under the cursor.
    fn definition(&self, p: &lsp_types::GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let at = &p.text_document_position_params;
        let (_, lines, _, declared) = self.declared_at(at)?;
        let mut locations: Vec<Location> = declared
            .iter()
            .map(|d| Location {
                uri: at.text_document.uri.clone(),
                range: range(&lines, d.span.start as usize, d.span.end as usize),
            })
            .collect();
        Some(if locations.len() == 1 {
            GotoDefinitionResponse::Scalar(locations.remove(0))
        } else {
            GotoDefinitionResponse::Array(locations)
        })
    }

    /// Every use of the declared name under the cursor.
    fn references(&self, p: &lsp_types::ReferenceParams) -> Option<Vec<Location>> {
        let at = &p.text_document_position;
        let (text, lines, name, declared) = self.declared_at(at)?;
        let include_declaration = p.context.include_declaration;
        Some(
            index::references(text, &name)
                .into_iter()
                .filter(|t| {
                    include_declaration || declared.iter().all(|d| d.span.start as usize != t.start)
                })
                .map(|t| Location {
                    uri: at.text_document.uri.clone(),
                    range: range(&lines, t.start, t.end),
                })
                .collect(),
        )
    }

    fn completion(&self, p: &lsp_types::CompletionParams) -> CompletionResponse {
        let mut items: Vec<CompletionItem> = Vec::new();
        let uri = &p.text_document_position.text_document.uri;
        if let Some(ast) = self.text(uri).and_then(parse) {
            let mut seen = std::collections::BTreeSet::new();
            for d in index::declarations(&ast) {
                if seen.insert(d.name.clone()) {
                    items.push(CompletionItem {
                        label: d.name.clone(),
                        kind: Some(match d.kind {
                            "let" => CompletionItemKind::CONSTANT,
                            "capture" | "variable" => CompletionItemKind::VARIABLE,
                            "step" => CompletionItemKind::FIELD,
                            _ => CompletionItemKind::REFERENCE,
                        }),
                        detail: Some(d.kind.to_string()),
                        ..CompletionItem::default()
                    });
                }
            }
        }
        for (word, kind, text) in docs::WORDS.iter() {
            items.push(CompletionItem {
                label: (*word).to_string(),
                kind: Some(match kind {
                    WordKind::Keyword => CompletionItemKind::KEYWORD,
                    WordKind::Metric | WordKind::Function | WordKind::Rule => {
                        CompletionItemKind::FUNCTION
                    }
                    WordKind::Fault | WordKind::Builtin => CompletionItemKind::CONSTANT,
                    WordKind::Unit => CompletionItemKind::UNIT,
                }),
                detail: Some((*text).to_string()),
                ..CompletionItem::default()
            });
        }
        CompletionResponse::Array(items)
    }

    /// `stress fmt` of the whole document, as one edit (none when it is already formatted or
    /// does not parse).
    fn format(&self, p: &lsp_types::DocumentFormattingParams) -> Option<Vec<TextEdit>> {
        let text = self.text(&p.text_document.uri)?;
        let file = SourceFile::new(p.text_document.uri.as_str(), text);
        let ast = crate::syntax::parse(&file).ok()?;
        let formatted = crate::fmt::try_format(&file, &ast)?;
        if formatted == text {
            return Some(vec![]);
        }
        let lines = LineIndex::new(text);
        Some(vec![TextEdit {
            range: range(&lines, 0, text.len()),
            new_text: formatted,
        }])
    }
}

fn parse(text: &str) -> Option<crate::ast::File> {
    crate::syntax::parse(&SourceFile::new("", text)).ok()
}

fn file_path(uri: &Uri) -> Option<PathBuf> {
    url::Url::parse(uri.as_str()).ok()?.to_file_path().ok()
}

fn range(lines: &LineIndex<'_>, start: usize, end: usize) -> Range {
    let (sl, sc) = lines.position(start);
    let (el, ec) = lines.position(end);
    Range {
        start: Position::new(sl, sc),
        end: Position::new(el, ec),
    }
}

/// One problem as an LSP diagnostic: the first label is the range, the others related
/// information; the help follows the message, as the CLI prints it.
fn to_lsp(problem: &Problem, uri: &Uri, lines: &LineIndex<'_>, len: usize) -> Diagnostic {
    let labels: Vec<miette::LabeledSpan> =
        problem.labels().map(Iterator::collect).unwrap_or_default();
    let span_range = |l: &miette::LabeledSpan| {
        let start = l.offset().min(len);
        range(lines, start, (start + l.len()).min(len))
    };
    let primary = labels
        .iter()
        .find(|l| l.primary())
        .or_else(|| labels.first());
    let mut message = problem.to_string();
    if let Some(label) = primary.and_then(miette::LabeledSpan::label) {
        message.push_str(&format!(" ({label})"));
    }
    if let Some(help) = problem.help() {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = labels
        .iter()
        .filter(|l| primary.is_none_or(|p| !std::ptr::eq(*l, p)))
        .map(|l| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: span_range(l),
            },
            message: l.label().unwrap_or("here").to_string(),
        })
        .collect();
    Diagnostic {
        range: primary.map_or_else(|| range(lines, 0, 0), span_range),
        severity: Some(if problem.is_error() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code: Some(NumberOrString::String(problem.code_str())),
        source: Some("stress".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}
