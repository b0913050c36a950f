// The grammar of Probe's model language (docs/language.md). Fn and param declarations are parsed
// wherever statements are, so that the checker can say "top level only" instead of a syntax error.
grammar Probe;

program : stmt* EOF ;

stmt
    : LET ID '=' expr ';'                                  # letStmt
    | ID index* '=' expr ';'                               # assignStmt
    | ifStmt                                               # ifStatement
    | WHILE expr block                                     # whileStmt
    | REJECT ID (',' ID)* UNTIL expr block                 # rejectStmt
    | FOR ID IN expr '..' expr block                       # forRangeStmt
    | FOR ID IN expr block                                 # forEachStmt
    | BREAK ';'                                            # breakStmt
    | CONTINUE ';'                                         # continueStmt
    | RETURN expr? ';'                                     # returnStmt
    | FN ID '(' (ID (',' ID)*)? ')' block                  # fnStmt
    | PARAM ID '=' expr ';'                                # paramStmt
    | expr ';'                                             # exprStmt
    ;

index : '[' expr ']' ;

ifStmt : IF expr block (ELSE (ifStmt | block))? ;

block : '{' stmt* '}' ;

expr
    : ID '(' (arg (',' arg)*)? ')'                         # callExpr
    | expr '[' expr ']'                                    # indexExpr
    | <assoc=right> expr '**' expr                         # powerExpr
    | op=('-' | '!') expr                                  # unaryExpr
    | expr op=('*' | '/' | '%') expr                       # mulExpr
    | expr op=('+' | '-') expr                             # addExpr
    | expr op=('<' | '<=' | '>' | '>=') expr               # relExpr
    | expr op=('==' | '!=') expr                           # eqExpr
    | expr '&&' expr                                       # andExpr
    | expr '||' expr                                       # orExpr
    | <assoc=right> expr '?' expr ':' expr                 # condExpr
    | '(' expr ')'                                         # parenExpr
    | '[' (expr (',' expr)*)? ']'                          # arrayExpr
    | INT                                                  # intExpr
    | FLOAT                                                # floatExpr
    | STRING                                               # stringExpr
    | (TRUE | FALSE)                                       # boolExpr
    | ID                                                   # varExpr
    ;

arg : (ID ':')? expr ;

LET : 'let' ;
FN : 'fn' ;
PARAM : 'param' ;
IF : 'if' ;
ELSE : 'else' ;
WHILE : 'while' ;
REJECT : 'reject' ;
UNTIL : 'until' ;
FOR : 'for' ;
IN : 'in' ;
RETURN : 'return' ;
BREAK : 'break' ;
CONTINUE : 'continue' ;
TRUE : 'true' ;
FALSE : 'false' ;

FLOAT : DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT : DIGITS ;
fragment DIGITS : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;

STRING : '"' (~["\\\r\n] | '\\' .)* '"' ;
ID : [A-Za-z_] [A-Za-z0-9_]* ;

LINE_COMMENT : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS : [ \t\r\n]+ -> skip ;

// Anything else is reported by the parser as an unexpected character, with its place.
UNEXPECTED : . ;
