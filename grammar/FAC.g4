// FAC.g4 - The grammar of the FAC spec language.
//
// The parse tree this produces is consumed by exactly one place, the AST
// builder in compiler/lib/AST/ASTBuilder.cpp; nothing else in the compiler
// sees ANTLR types. docs/LanguageReference.md describes the language.
grammar FAC;

@parser::members {
/// A call's '(' must be on the line where its callee ends, so that a line
/// starting with '(' begins a new expression instead of calling the last.
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
  ;

typeDecl : TYPE name=IDENT typeParams? '=' typeExpr ;
effectDecl : EFFECT name=IDENT typeParams? '(' fields? ')' '->' typeExpr ;
operatorDecl : OPERATOR op=OPSYM typeParams? '(' fields? ')' '->' typeExpr ;
conceptDecl : name=IDENT ':=' '(' fields? ')' '::' block ;

typeParams : '<' IDENT (',' IDENT)* '>' ;
fields : field (',' field)* ;
field : IDENT ':' typeExpr ;
typeExpr : IDENT ('<' typeExpr (',' typeExpr)* '>')? ;

block : '{' stmt* '}' ;

stmt
  : LET IDENT '=' expr        # letStmt
  | target=expr ':=' value=expr # assignStmt
  | expr                      # exprStmt
  ;

expr
  : lambdaParams '=>' (block | expr)                      # lambdaExpr
  | expr '.' IDENT                                        # fieldExpr
  | expr {sameLineAsPrevious()}? '(' args? ')'            # callExpr
  | expr op=('*' | '/') expr                              # binaryExpr
  | expr op=('+' | '-') expr                              # binaryExpr
  | expr op=OPSYM expr                                    # binaryExpr
  | expr op=('<' | '>' | '<=' | '>=' | '==' | '!=') expr  # binaryExpr
  | '(' expr ')'                                          # parenExpr
  | IDENT                                                 # nameExpr
  | NUMBER                                                # numberExpr
  ;

args : expr (',' expr)* ;
lambdaParams : IDENT | '(' (lambdaParam (',' lambdaParam)*)? ')' ;
lambdaParam : IDENT (':' typeExpr)? ;

TYPE : 'type' ;
EFFECT : 'effect' ;
OPERATOR : 'operator' ;
LET : 'let' ;

// Operator symbols: the circled and squared operators (U+2295-U+22A1, with
// the seed's ⊕ ⊗ ⊙ ⊚ ⊛ ⊡), the supplemental mathematical operators
// (U+2A00-U+2AFF, with ⨂) and the supplemental arrows B (U+2900-U+297F,
// with ⤙). Any of them may be declared with `operator`.
OPSYM : [\u2295-\u22A1\u2A00-\u2AFF\u2900-\u297F] ;

IDENT : [\p{L}_] [\p{L}\p{N}_]* ;
NUMBER : [0-9]+ ('.' [0-9]+)? ([eE] [+-]? [0-9]+)? ;

LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n]+ -> skip ;
// Any other character becomes a token the parser rejects, so that it is
// reported with the parser's location and message.
ERROR_CHAR : . ;
