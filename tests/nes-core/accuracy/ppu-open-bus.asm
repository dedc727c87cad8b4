; The PPU's I/O data latch (NESdev wiki, "PPU registers" and "Open bus behavior"): every write to
; $2000-$2007 fills an 8-bit latch; reading a write-only register ($2000, $2001, $2003, $2005,
; $2006) returns it; $2002 returns its low 5 bits under the 3 status bits; a palette read through
; $2007 returns its top 2 bits over the 6-bit colour. The latch is dynamic: a bit that is not
; refreshed decays to 0, after about 600 ms on the consoles measured. $2007 reads outside the
; palette return the read buffer and refill it.
; Checks (result code):
;   1  a write to $2002 (read-only) fills the latch: $2000, $2001, $2003, $2005, $2006 read it back
;   2  $2002 returns the latch's low 5 bits
;   3  a $2007 read returns the buffer, the next one the byte the first fetched
;   4  a palette read returns bits 7-6 from the latch
;   5  300 ms after a write with no PPU access the latch still reads $FF (no early decay)
;   6  1.2 s after that write it reads $00 (decayed)
  .include "shell.asm"

main:
  jsr wait_vbl          ; after the PPU's warm-up
  jsr wait_vbl
  lda #$00
  sta $2001             ; rendering off

  lda #$5A              ; 1
  sta $2002
  lda $2000
  cmp #$5A
  bne @fail1
  lda $2001
  cmp #$5A
  bne @fail1
  lda $2003
  cmp #$5A
  bne @fail1
  lda $2005
  cmp #$5A
  bne @fail1
  lda $2006
  cmp #$5A
  beq @status
@fail1:
  lda #1
  jmp finish
@status:
  lda #$1F              ; 2
  sta $2002
  lda $2002
  and #$1F
  cmp #$1F
  beq @buffer
  lda #2
  jmp finish
@buffer:
  lda #$21              ; 3
  sta $2006
  lda #$00
  sta $2006
  lda #$AB
  sta $2007             ; VRAM $2100 = $AB
  lda #$21
  sta $2006
  lda #$00
  sta $2006
  lda $2007             ; the old buffer
  lda $2007             ; the byte the first read fetched
  cmp #$AB
  beq @palette
  lda #3
  jmp finish
@palette:
  lda #$3F              ; 4
  sta $2006
  lda #$00
  sta $2006
  lda #$2C
  sta $2007             ; palette[0] = $2C
  lda #$3F
  sta $2006
  lda #$00
  sta $2006
  lda #$C0
  sta $2002             ; latch = $C0
  lda $2007
  cmp #$EC              ; $2C | $C0
  beq @decay
  lda #4
  jmp finish
@decay:
  lda #$FF              ; 5, 6
  sta $2002
  ldx #209
  jsr wait_x_1286
  ldx #209
  jsr wait_x_1286       ; 537,570 cycles: 300 ms
  lda $2000
  cmp #$FF
  beq @later
  lda #5
  jmp finish
@later:
  lda #6                ; 6 * 268,785 cycles more: 1.2 s after the write
  sta $10
@wait:
  ldx #209
  jsr wait_x_1286
  dec $10
  bne @wait
  lda $2000
  beq @done
  lda #6
  jmp finish
@done:
  jmp passed
