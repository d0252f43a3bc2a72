// FAC.g4 - The grammar of the FAC spec language.
//
// The parse tree this produces is consumed by exactly one place, the AST
// builder in compiler/lib/AST/ASTBuilder.cpp; nothing else in the compiler
// sees ANTLR types. docs/LanguageReference.md describes the language.
grammar FAC;

@parser::members {
/// A call's '(' and an index's '[' must be on the line where the expression
/// before them ends, so that a line starting with '(' or '[' begins a new
/// expression instead of calling or indexing the last one.
bool sameLineAsPrevious() {
  return _input->LT(1)->getLine() == _input->LT(-1)->getLine();
}
}

module : decl* EOF ;

decl
  : typeDecl
  | effectDecl
  | operatorDecl
  | conceptDecl
  | theoremDecl
  | intrinsicDecl
  | helperDecl
  | importDecl
  ;

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

// `type T = Alias`, `type T = (field: U, ...)` (a record), or an algebraic
// data type `type T<A> = Ctor(field: U, ...) | Other | ...`.
typeDecl : TYPE name=IDENT typeParams? '=' typeDef ;
typeDef
  : typeExpr                        # aliasDef
  | ctorDef ('|' ctorDef)*          # adtDef
  ;
ctorDef : IDENT ('(' fields? ')')? ;

effectDecl : EFFECT name=IDENT typeParams? '(' fields? ')' '->' typeExpr ;

// An operator without a body binds to the prelude; `= expr` defines it.
operatorDecl
  : OPERATOR op=OPSYM typeParams? '(' fields? ')' '->' typeExpr
    ('=' body=seq)?
  ;

conceptDecl : name=IDENT ':=' '(' fields? ')' '::' block ;

// A top-level `let`: a helper every concept sees, as if its body began
// with it (it sees no concept's parameters).
helperDecl : LET pattern '=' expr ;

// `import "lib.fac"`: the helpers, types, effects and operators of another
// file (its path relative to this file's folder).
importDecl : IMPORT path=STRING ;

// `Theorem Name: ∀ x: T, y: U  premise → conclusion`.
theoremDecl : THEOREM name=IDENT ':' FORALL fields body=expr ;

// A function of the standard prelude implemented by the compiler; only the
// prelude may declare them.
intrinsicDecl
  : INTRINSIC name=qualifiedName typeParams? '(' fields? ')' '->' typeExpr
  ;
qualifiedName : IDENT ('.' IDENT)? ;

typeParams : '<' IDENT (',' IDENT)* '>' ;
fields : field (',' field)* ;
field : IDENT ':' typeExpr ;

// Every parenthesised type form starts the same way and is told apart
// after the ')' (by the AST builder), so that the parser never looks ahead
// across nested parentheses: `(A, B) -> R`, `(a: A) -> R`, `(a: A, b: B)`
// (a record), `(A, B)` (a tuple) and `(A)`.
typeExpr
  : '(' (typeElem (',' typeElem)*)? ')' ('->' result=typeExpr)?   # parenType
  | IDENT ('<' typeExpr (',' typeExpr)* '>')?                     # namedType
  ;
typeElem : (IDENT ':')? typeExpr ;

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

block : '{' stmt* '}' ;

// `target := value` is told from an expression statement by the token
// after the expression, never by looking ahead across it.
stmt
  : LET pattern '=' expr          # letStmt
  | target=expr (':=' value=expr)? # exprStmt
  ;

// A body in expression position: `let`s followed by the expression they
// scope over, as in the branches of `if` and the arms of `handle`.
seq : (LET pattern '=' expr)* expr ;

//===----------------------------------------------------------------------===//
// Expressions. ANTLR gives the alternatives listed first the highest
// precedence: postfix forms, then `-x`, `* / %`, `+ -`, the Unicode
// operators, comparisons, `→`, and last the forms that extend as far right
// as they can (lambdas, `if`, `handle`).
//===----------------------------------------------------------------------===//

expr
  : expr '.' IDENT                                           # fieldExpr
  | expr {sameLineAsPrevious()}? '(' args? ')'               # callExpr
  | expr {sameLineAsPrevious()}? '[' lo=expr? ':' hi=expr? ']'  # sliceExpr
  | expr {sameLineAsPrevious()}? '[' index=expr ']'          # indexExpr
  | expr EXISTS                                              # existsExpr
  | '-' expr                                                 # negExpr
  | expr op=('*' | '/' | '%') expr                           # binaryExpr
  | expr op=('+' | '-' | '++') expr                          # binaryExpr
  | expr op=OPSYM expr                                       # binaryExpr
  | expr op=('<' | '>' | '<=' | '>=' | '==' | '!=' | '='
             | LE | GE | NE) expr                            # binaryExpr
  | NOT expr                                                 # notExpr
  | expr op=AND expr                                         # binaryExpr
  | expr op=OR expr                                          # binaryExpr
  | <assoc=right> expr op=IMPLIES expr                       # binaryExpr
  | IF cond=expr THEN thenBody=seq ELSE elseBody=seq         # ifExpr
  | HANDLE expr WITH arm+                                    # handleExpr
  | IDENT '=>' lambdaBody                                    # lambdaExpr
  // `(a, b)`, `(a)`, `()`, and with `=>` after it the parameters of a
  // lambda (which may carry types): one rule, told apart after the ')'.
  | '(' (parenElem (',' parenElem)*)? ')' ('=>' lambdaBody)?  # parenExpr
  // `[a, b]` and `[e | x in xs, cond]`, told apart after the first element.
  | '[' (first=expr (comprehension | (',' expr)*))? ']'      # listExpr
  | IDENT                                                    # nameExpr
  | NUMBER                                                   # numberExpr
  | value=(TRUE | FALSE)                                     # boolExpr
  ;

lambdaBody : block | seq ;
parenElem : expr (':' typeExpr)? ;
// Generators and conditions, nested left to right:
// `[f(x, y) | x in xs, x > 0, y in ys]`.
comprehension : '|' generator (',' (generator | expr))* ;
generator : IDENT IN source=expr ;

arm : '|' pattern '=>' seq ;
args : expr (',' expr)* ;

pattern
  : IDENT '(' (pattern (',' pattern)*)? ')'   # ctorPattern
  | '(' pattern (',' pattern)+ ')'            # tuplePattern
  | IDENT                                     # namePattern
  | '-'? NUMBER                               # numberPattern
  ;

//===----------------------------------------------------------------------===//
// Tokens
//===----------------------------------------------------------------------===//

TYPE : 'type' ;
IMPORT : 'import' ;
EFFECT : 'effect' ;
OPERATOR : 'operator' ;
THEOREM : 'Theorem' ;
INTRINSIC : 'intrinsic' ;
LET : 'let' ;
IF : 'if' ;
THEN : 'then' ;
ELSE : 'else' ;
HANDLE : 'handle' ;
WITH : 'with' ;
EXISTS : 'exists' ;
IN : 'in' ;
AND : 'and' ;
OR : 'or' ;
NOT : 'not' ;
TRUE : 'true' ;
FALSE : 'false' ;

FORALL : '\u2200' ;   // ∀
IMPLIES : '\u2192' ;  // →
LE : '\u2264' ;       // ≤
GE : '\u2265' ;       // ≥
NE : '\u2260' ;       // ≠

// Operator symbols: the circled and squared operators (U+2295-U+22A1, with
// the seed's ⊕ ⊗ ⊙ ⊚ ⊛ ⊡), the supplemental mathematical operators
// (U+2A00-U+2AFF, with ⨂) and the supplemental arrows B (U+2900-U+297F,
// with ⤙). Any of them may be declared with `operator`.
OPSYM : [\u2295-\u22A1\u2A00-\u2AFF\u2900-\u297F] ;

IDENT : [\p{L}_] [\p{L}\p{N}_]* ;
STRING : '"' ~["\r\n]* '"' ;
NUMBER : [0-9]+ ('.' [0-9]+)? ([eE] [+-]? [0-9]+)? ;

LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n]+ -> skip ;
// Any other character becomes a token the parser rejects, so that it is
// reported with the parser's location and message.
ERROR_CHAR : . ;
