; DMC DMA conflicts with register reads (NESdev wiki, "DMA", register conflicts): a DMC DMA
; halts the CPU on a read cycle, and the halted CPU keeps driving that read on the halt, dummy
; and alignment cycles; its own read then repeats after the get. A joypad sees the halt..get
; cycles' reads of $4016 as one read and the real read as another: one button bit is lost. The
; PPU sees every one of those cycles as a read of $2007: the VRAM address advances once more
; for each. The "load" fetch after a $4015 write asks to halt on the get cycle of the second APU
; cycle after the write: 4 cycles after a write on a get cycle, 3 after one on a put cycle.
;
; Method: OAM DMA ends on a put cycle, so the cycles after `STA $4014` have a known get/put
; phase. After it, `LDA zp` (3 cycles) then `STY $4015` puts the $4015 write on a get cycle: the
; 1-byte sample's load fetch then halts on the read cycle of the following `LDA $4016` (or
; `LDA $2007`). With `NOP` (2 cycles) instead, the write is on a put cycle and the fetch halts on
; the operand fetch before the register read: no conflict. Joypad 1 holds no buttons: 8 reads of
; 0, then 1s.
; Checks (result code; on the core before the DMC existed, check 2 failed):
;   1  no conflict: the 9th $4016 read after the strobe is the first 1
;   2  conflict: the 8th is (one extra shift)
;   3  no conflict: the $2007 read returns the byte after the primed one ($A0)
;   4  conflict: it returns $A2 (the halt and dummy cycles read $2007 too)
  .include "shell.asm"

first_one = $10
ppu_value = $11

main:
  jsr wait_vbl          ; the PPU ignores $2006 until its warm-up ends
  jsr wait_vbl
  lda #$0F
  sta $4010             ; no IRQ, no loop, rate 15
  lda #$00
  sta $4012             ; $C000
  sta $4013             ; 1 byte
  ldy #$10
  ; 1
  jsr strobe
  lda #$02
  sta $4014
  nop
  sty $4015             ; a put cycle: the fetch halts on LDA's operand fetch
  lda $4016
  jsr count_reads
  cmp #9
  beq @conflict_pad
  lda #1
  jmp finish
@conflict_pad:          ; 2
  jsr strobe
  lda #$02
  sta $4014
  lda $10
  sty $4015             ; a get cycle: the fetch halts on LDA's read of $4016
  lda $4016
  jsr count_reads
  cmp #8
  beq @ppu
  lda #2
  jmp finish
@ppu:                   ; 3
  jsr prime_ppu
  lda #$02
  sta $4014
  nop
  sty $4015
  lda $2007
  cmp #$A0
  beq @conflict_ppu
  lda #3
  jmp finish
@conflict_ppu:          ; 4
  jsr prime_ppu
  lda #$02
  sta $4014
  lda $10
  sty $4015
  lda $2007
  cmp #$A2
  beq @done
  lda #4
  jmp finish
@done:
  jmp passed

; Waits for the DMC to be idle (the last sample's byte played out of the buffer), then latches
; joypad 1. Keeps Y.
strobe:
  ldx #2
  jsr wait_x_1286
  ldy #$10
  lda #$01
  sta $4016
  lda #$00
  sta $4016
  rts

; A = the first $4016 read (done by the caller); reads on until bit 0 is 1 and returns in A
; the number of that read (1-based), at most 12.
count_reads:
  ldx #1
@next:
  and #$01
  bne @found
  inx
  cpx #13
  beq @found
  lda $4016
  jmp @next
@found:
  txa
  rts

; VRAM $2000-$2003 = $A0-$A3, the address at $2000 and one $2007 read done (the buffer holds
; $A0, the address is $2001). Waits for the DMC to be idle first. Keeps Y = $10.
prime_ppu:
  ldx #2
  jsr wait_x_1286
  lda #$20
  sta $2006
  lda #$00
  sta $2006
  lda #$A0
  sta $2007
  lda #$A1
  sta $2007
  lda #$A2
  sta $2007
  lda #$A3
  sta $2007
  lda #$20
  sta $2006
  lda #$00
  sta $2006
  lda $2007
  ldy #$10
  rts
