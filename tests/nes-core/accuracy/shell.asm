; The frame every accuracy program is built on: an NROM-256 cartridge (32 KiB PRG, 8 KiB CHR-RAM,
; 8 KiB PRG-RAM at $6000) and blargg's $6000 result protocol, which tests/nes/helpers.ts runBlargg
; and nes_run's blargg mode read:
;   $6001-$6003 = $DE $B0 $61 once $6000 and the text are valid;
;   $6000 = $80 while running, $81 to ask for a press of the reset button, else the result
;   (0 = passed, n = failed check n; each program's header lists its checks);
;   $6004.. a zero-terminated text ("Passed" or "Failed").
; The program defines `main` (entered with I set, SP = $FF, the registers as reset left them
; saved in reset_a/x/y/p/sp) and points nmi_ptr / irq_ptr at its handlers before enabling them
; (the vectors jump through them: JMP (ind), 5 cycles, the same every time).

  .ines 2, 0, 0, 1
  .segment "PRG", $8000, $7FFA

nmi_ptr  = $00          ; 2 bytes
irq_ptr  = $02          ; 2 bytes
reset_a  = $04          ; registers as the reset sequence left them
reset_x  = $05
reset_y  = $06
reset_p  = $07
reset_sp = $08
text_ptr = $0A          ; 2 bytes
RESULT   = $6000
TEXT     = $6004

reset:
  sta reset_a
  stx reset_x
  sty reset_y
  php                   ; P as reset left it (B and bit 5 read as 1 when pushed by PHP)
  pla
  sta reset_p
  tsx                   ; (PLA undid PHP's push)
  stx reset_sp
  ldx #$FF
  txs
  lda #<unexpected_interrupt
  sta nmi_ptr
  sta irq_ptr
  lda #>unexpected_interrupt
  sta nmi_ptr+1
  sta irq_ptr+1
  lda #$80
  sta RESULT
  lda #$DE
  sta RESULT+1
  lda #$B0
  sta RESULT+2
  lda #$61
  sta RESULT+3
  jmp main

nmi_entry:
  jmp (nmi_ptr)
irq_entry:
  jmp (irq_ptr)

; An interrupt the program did not ask for.
unexpected_interrupt:
  lda #$7F
  ; fall through
; Ends the program with result A (0 = passed).
finish:
  sei
  sta RESULT
  ldx #<text_failed
  ldy #>text_failed
  cmp #0
  bne @text
  ldx #<text_passed
  ldy #>text_passed
@text:
  stx text_ptr
  sty text_ptr+1
  ldy #0
@copy:
  lda (text_ptr),y
  sta TEXT,y
  beq @done
  iny
  bne @copy
@done:
  jmp @done

passed:
  lda #0
  jmp finish

text_passed:
  .byte "Passed", 0
text_failed:
  .byte "Failed", 0

; Waits for the start of vertical blank by polling $2002 (clears the flag).
wait_vbl:
  bit $2002
  bpl wait_vbl
  rts

; Waits X * 1,286 + 11 cycles (X = 1..255; JSR and RTS included), Y = 0 after.
wait_x_1286:
  ldy #0
@inner:
  dey
  bne @inner
  dex
  bne wait_x_1286
  rts

  .segment "VECTORS", $FFFA, 6
  .word nmi_entry, reset, irq_entry
  .segment "PRG"
