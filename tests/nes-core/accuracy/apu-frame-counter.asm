; The APU frame counter's IRQ flag and length-counter clocks (NESdev wiki, "APU Frame Counter",
; "APU Length Counter"): in 4-step mode the IRQ flag is set 29,828-29,830 CPU cycles after the
; sequencer restarts, which a $4017 write does 3 or 4 cycles after the write; reading $4015
; clears it, and so does writing $4017 with bit 6 (inhibit) set. A $4017 write with bit 7 set
; (5-step mode) clocks the length counters at once and never sets the flag. Length counters load
; from the table on a $4003 write while the channel is enabled in $4015.
; Checks (result code):
;   1  29,000 cycles after $4017 = $00 the flag is still clear
;   2  30,900 cycles after it the flag is set
;   3  the $4015 read that saw it cleared it
;   4  $4017 = $40 clears a set flag
;   5  $4003 = $18 (length index 3 = 2) with pulse 1 enabled: $4015 bit 0 is set
;   6  one $4017 = $80 write leaves length 1 (bit 0 still set)
;   7  a second $4017 = $80 write clocks it to 0 (bit 0 clear)
;   8  5-step mode: no flag 40,000 cycles after the write
  .include "shell.asm"

main:
  lda #$00
  sta $4017
  ldx #22
  jsr wait_x_1286       ; 28,303 cycles + the 6 below
  lda $4015             ; 1
  and #$40
  beq @set
  lda #1
  jmp finish
@set:
  ldx #2
  jsr wait_x_1286       ; + 2,583: about 30,900, past 29,832
  lda $4015             ; 2
  and #$40
  bne @cleared
  lda #2
  jmp finish
@cleared:
  lda $4015             ; 3
  and #$40
  beq @inhibit
  lda #3
  jmp finish
@inhibit:
  lda #$00              ; 4
  sta $4017
  ldx #25
  jsr wait_x_1286
  lda #$40
  sta $4017
  nop
  nop
  lda $4015
  and #$40
  beq @length
  lda #4
  jmp finish
@length:
  lda #$01              ; 5
  sta $4015
  lda #$00
  sta $4000             ; pulse 1: length counter not halted
  lda #$18
  sta $4003             ; length index 3: 2
  lda $4015
  and #$01
  bne @clock1
  lda #5
  jmp finish
@clock1:
  lda #$C0              ; 6: 5-step, IRQ inhibited
  sta $4017
  nop
  nop
  lda $4015
  and #$01
  bne @clock2
  lda #6
  jmp finish
@clock2:
  lda #$C0              ; 7
  sta $4017
  nop
  nop
  lda $4015
  and #$01
  beq @five_step
  lda #7
  jmp finish
@five_step:
  lda #$80              ; 8: 5-step, IRQ allowed
  sta $4017
  ldx #32
  jsr wait_x_1286       ; 41,163 cycles
  lda $4015
  and #$40
  beq @done
  lda #8
  jmp finish
@done:
  jmp passed
