// How the server parses a request head: Beast's request_parser set up with
// tarn's limits, the status a malformed head is answered with, and the
// translation of a parsed head into an http::Request.
//
// server.cc drives the parser over the socket; fuzz/http_request_fuzz.cc
// drives the same parser, set up by the same functions, over fuzz input, so
// the fuzzer tests exactly what the server runs. Includes Beast's parser:
// include it only where a parser is driven.
#pragma once

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>

#include "http/handler.h"

namespace tarn::http {

// buffer_body: each body read points the parser at the handler's own buffer.
using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

// The capacity of a connection's read buffer: a whole head plus room for
// the body bytes that arrive with it. A head that fills it gets 431.
inline size_t RequestBufferBytes(size_t max_header_bytes) { return max_header_bytes + 64 * 1024; }

// Sets a fresh parser up for one request: the head (request line plus
// fields) may take up to max_header_bytes; the body is unlimited, as
// handlers enforce their own limits.
void ConfigureRequestParser(RequestParser& parser, size_t max_header_bytes);

// To be called after a head was read, with what the read consumed: makes
// a head longer than max_header_bytes a header_limit error however its
// bytes arrived. (Beast counts the request line against header_limit only
// when the head arrives in pieces; read whole, a head may exceed the limit
// by the length of its request line.)
void EnforceHeadLimit(size_t head_bytes, size_t max_header_bytes, boost::system::error_code& ec);

// The status the server answers a head that failed to parse with: 431 when
// it is too large, 400 when it is malformed, 0 when there is nobody to
// answer (the connection ended, was reset or timed out before a whole head
// arrived): the server then just closes.
int HeadErrorStatus(const boost::system::error_code& ec);

// Fills method, target, path, query, headers and content_length of req
// from a parser whose head is done (parser.is_header_done()).
void FillRequestHead(const RequestParser& parser, Request& req);

// Splits req.target into req.path and req.query; an absolute-form target
// (a proxy's "http://host:port/p?q") loses its scheme and authority.
void SplitTarget(Request& req);

}  // namespace tarn::http
